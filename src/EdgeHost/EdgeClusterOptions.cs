using Microsoft.Extensions.Options;

namespace WsRooms.EdgeHost;

/// <summary>
/// Which silo gateways this edge host connects to with Localhost clustering (section <c>Orleans</c>). The cluster's
/// identity (<c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>), <c>WsRooms:Clustering</c> and
/// <c>WsRooms:Azure:*</c> are read as on the silos, and must match them.
/// </summary>
public sealed class EdgeClusterOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Orleans";

    /// <summary>
    /// <c>Orleans:GatewayPorts</c> (Localhost clustering): the silos' gateway ports on 127.0.0.1, e.g.
    /// <c>--Orleans:GatewayPorts:0 30000 --Orleans:GatewayPorts:1 30001</c>. Empty, the default, means Orleans'
    /// default gateway port, where a silo started with no settings listens. Ignored with AzureStorage clustering,
    /// where the gateways are the active silos in the membership table.
    /// </summary>
    /// <remarks>Empty by default because the binder appends configured elements to a default array.</remarks>
    public int[] GatewayPorts { get; set; } = [];
}

/// <summary>Rejects gateway ports outside 1-65535.</summary>
public sealed class EdgeClusterOptionsValidator : IValidateOptions<EdgeClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EdgeClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.GatewayPorts.Any(p => p is < 1 or > 65535)
            ? ValidateOptionsResult.Fail($"{EdgeClusterOptions.SectionName}:GatewayPorts must list ports between 1 and 65535 (was [{string.Join(", ", options.GatewayPorts)}]).")
            : ValidateOptionsResult.Success;
    }
}
