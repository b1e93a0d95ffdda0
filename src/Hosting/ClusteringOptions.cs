using Microsoft.Extensions.Options;

namespace WsRooms.Hosting;

/// <summary>The membership provider, <c>WsRooms:Clustering</c>; silos and edge hosts of one cluster must agree.</summary>
public sealed class ClusteringOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms";

    /// <summary>The full configuration key of <see cref="Clustering"/>.</summary>
    public const string ClusteringKey = SectionName + ":" + nameof(Clustering);

    /// <summary>
    /// <c>WsRooms:Clustering</c>: <see cref="ClusteringProvider.Localhost"/> (the default, so a clone runs with no
    /// storage account) or <see cref="ClusteringProvider.AzureStorage"/>.
    /// </summary>
    public ClusteringProvider Clustering { get; set; } = ClusteringProvider.Localhost;
}

/// <summary>Rejects a provider number that names no provider (the binder accepts any number for an enum).</summary>
public sealed class ClusteringOptionsValidator : IValidateOptions<ClusteringOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClusteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Enum.IsDefined(options.Clustering)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ClusteringOptions.ClusteringKey} must be one of {string.Join(" | ", Enum.GetNames<ClusteringProvider>())} (was {(int)options.Clustering}).");
    }
}
