using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using WsRooms.Hosting;

namespace WsRooms.Silo.Configuration;

/// <summary>Where this silo listens and how it finds the others (section <c>Orleans</c>).</summary>
public sealed class SiloEndpointOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Orleans";

    /// <summary><c>Orleans:SiloPort</c>: silo-to-silo traffic (default Orleans' own, 11111).</summary>
    public int SiloPort { get; set; } = EndpointOptions.DEFAULT_SILO_PORT;

    /// <summary>
    /// <c>Orleans:GatewayPort</c>: where edge hosts (Orleans clients) connect (default Orleans' own, 30000, which is
    /// also where an edge host with no <c>Orleans:GatewayPorts</c> looks).
    /// </summary>
    public int GatewayPort { get; set; } = EndpointOptions.DEFAULT_GATEWAY_PORT;

    /// <summary>
    /// <c>Orleans:PrimarySiloPort</c> (Localhost clustering): 0, the default, makes this silo the primary; otherwise
    /// it joins the primary on 127.0.0.1 at this port.
    /// </summary>
    public int PrimarySiloPort { get; set; }

    /// <summary>
    /// <c>Orleans:AdvertisedIPAddress</c> (AzureStorage clustering): the address other silos and edge hosts reach this
    /// silo at. Empty, the default: this machine's first IPv4 address, which is what a container gets. 127.0.0.1 for
    /// one machine.
    /// </summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary><see cref="AdvertisedIPAddress"/> parsed; null when it is empty or not an address.</summary>
    public IPAddress? AdvertisedAddress =>
        !string.IsNullOrWhiteSpace(AdvertisedIPAddress) && IPAddress.TryParse(AdvertisedIPAddress.Trim(), out var address) ? address : null;

    /// <summary>The primary silo's endpoint on loopback; null when this silo is the primary.</summary>
    public IPEndPoint? PrimarySiloEndpoint => PrimarySiloPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, PrimarySiloPort);
}

/// <summary>
/// Checks the ports and the advertised address, and that <c>Orleans:PrimarySiloPort</c> is only set with the
/// <paramref name="clustering"/> it belongs to.
/// </summary>
/// <param name="clustering">The configured <c>WsRooms:Clustering</c>.</param>
public sealed class SiloEndpointOptionsValidator(ClusteringProvider clustering) : IValidateOptions<SiloEndpointOptions>
{
    private const string Section = SiloEndpointOptions.SectionName;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SiloPort is < 1 or > 65535)
        {
            failures.Add($"{Section}:SiloPort must be a TCP port, 1-65535 (was {options.SiloPort}).");
        }

        if (options.GatewayPort is < 1 or > 65535)
        {
            failures.Add($"{Section}:GatewayPort must be a TCP port, 1-65535 (was {options.GatewayPort}).");
        }

        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"{Section}:SiloPort and {Section}:GatewayPort must differ (both {options.SiloPort}).");
        }

        if (options.PrimarySiloPort is < 0 or > 65535)
        {
            failures.Add($"{Section}:PrimarySiloPort must be 0 (this silo is the primary) or a TCP port (was {options.PrimarySiloPort}).");
        }
        else if (options.PrimarySiloPort == options.SiloPort)
        {
            failures.Add($"{Section}:PrimarySiloPort is this silo's own port ({options.SiloPort}); leave it 0 to make this silo the primary.");
        }
        else if (options.PrimarySiloPort != 0 && clustering == ClusteringProvider.AzureStorage)
        {
            failures.Add($"{Section}:PrimarySiloPort is for Localhost clustering only; with {ClusteringOptions.ClusteringKey} AzureStorage silos find each other in the table (leave it 0).");
        }

        if (!string.IsNullOrWhiteSpace(options.AdvertisedIPAddress) && options.AdvertisedAddress is null)
        {
            failures.Add($"{Section}:AdvertisedIPAddress must be an IP address (was '{options.AdvertisedIPAddress}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
