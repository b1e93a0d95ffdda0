using Microsoft.Extensions.Options;

namespace WsRooms.Hosting;

/// <summary>
/// Which cluster a process belongs to (section <c>Orleans</c>): silos and edge hosts with the same
/// <see cref="ClusterId"/> and <see cref="ServiceId"/> form one cluster.
/// </summary>
public sealed class ClusterIdentityOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Orleans";

    /// <summary>
    /// <c>Orleans:ClusterId</c>: one deployment of the service (default <c>wsrooms-local</c>, what run.sh starts).
    /// </summary>
    public string ClusterId { get; set; } = "wsrooms-local";

    /// <summary>
    /// <c>Orleans:ServiceId</c>: stable across deployments, since storage keys depend on it (default <c>wsrooms</c>).
    /// </summary>
    public string ServiceId { get; set; } = "wsrooms";
}

/// <summary>Rejects an empty cluster or service id, which Orleans would only refuse later and less clearly.</summary>
public sealed class ClusterIdentityOptionsValidator : IValidateOptions<ClusterIdentityOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClusterIdentityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{ClusterIdentityOptions.SectionName}:{nameof(options.ClusterId)} must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add($"{ClusterIdentityOptions.SectionName}:{nameof(options.ServiceId)} must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
