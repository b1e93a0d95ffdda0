using Microsoft.Extensions.Options;

namespace WsRooms.Edge.Lease;

/// <summary>
/// The edge host's lease (section <c>WsRooms:EdgeLease</c>): how long the cluster waits after this edge's last
/// renewal before it closes the edge's connections as if each had closed. A graceful stop releases the lease at once;
/// the lease only matters when the process dies without saying so.
/// </summary>
public sealed class EdgeLeaseOptions
{
    public const string SectionName = "WsRooms:EdgeLease";

    /// <summary>The lease (default 30 s): a dead edge's clients leave their rooms between this and this plus the silo's sweep interval.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the lease is renewed; empty (default) means a third of <see cref="Duration"/>, so two renewals may fail in a row.</summary>
    public TimeSpan? RenewInterval { get; set; }

    internal TimeSpan EffectiveRenewInterval => RenewInterval ?? Duration / 3;
}

internal sealed class EdgeLeaseOptionsValidator : IValidateOptions<EdgeLeaseOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeLeaseOptions options)
    {
        List<string>? failures = null;
        if (options.Duration < TimeSpan.FromMilliseconds(300) || options.Duration > TimeSpan.FromHours(1))
        {
            (failures ??= []).Add($"{EdgeLeaseOptions.SectionName}:Duration must be between 00:00:00.300 and 01:00:00 (was {options.Duration}).");
        }

        if (options.RenewInterval is { } renew && (renew < TimeSpan.FromMilliseconds(50) || renew >= options.Duration))
        {
            (failures ??= []).Add($"{EdgeLeaseOptions.SectionName}:RenewInterval must be at least 00:00:00.050 and shorter than Duration (was {renew}, Duration {options.Duration}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
