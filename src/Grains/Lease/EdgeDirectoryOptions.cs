using Microsoft.Extensions.Options;

namespace WsRooms.Grains.Lease;

/// <summary>
/// Silo settings of the edge directory, which holds the edge hosts' leases (section <see cref="SectionName"/>). The
/// lease itself is the edge host's setting (<c>WsRooms:EdgeLease:Duration</c> there, sent with every renewal), so the
/// two sides never disagree about it.
/// </summary>
public sealed class EdgeDirectoryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "WsRooms:EdgeDirectory";

    /// <summary>
    /// How often the directory looks for lapsed leases (default 1 s): a dead edge host's connections are closed
    /// between its lease and its lease plus this.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each silo makes sure the edge directory is active (default 30 s): what brings it back, and with it
    /// the sweep of lapsed leases, after its silo died together with every edge host.
    /// </summary>
    public TimeSpan DirectoryKeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections of a lapsed edge host closed at the same time (default 64).</summary>
    public int CloseConcurrency { get; set; } = 64;

    /// <summary>
    /// An expiry that has not reported back after this long (its silo died) is started again (default 2 minutes).
    /// </summary>
    public TimeSpan ExpiryRetryAfter { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Rejects directory settings that would sweep too rarely or too often, at silo start.</summary>
internal sealed class EdgeDirectoryOptionsValidator : IValidateOptions<EdgeDirectoryOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeDirectoryOptions options)
    {
        List<string>? failures = null;
        if (options.SweepInterval < TimeSpan.FromMilliseconds(50) || options.SweepInterval > TimeSpan.FromMinutes(5))
        {
            (failures ??= []).Add($"{EdgeDirectoryOptions.SectionName}:{nameof(options.SweepInterval)} must be between 00:00:00.050 and 00:05:00 (was {options.SweepInterval}).");
        }

        if (options.DirectoryKeepAlive < TimeSpan.FromMilliseconds(50))
        {
            (failures ??= []).Add($"{EdgeDirectoryOptions.SectionName}:{nameof(options.DirectoryKeepAlive)} must be at least 00:00:00.050 (was {options.DirectoryKeepAlive}).");
        }

        if (options.CloseConcurrency < 1)
        {
            (failures ??= []).Add($"{EdgeDirectoryOptions.SectionName}:{nameof(options.CloseConcurrency)} must be at least 1 (was {options.CloseConcurrency}).");
        }

        if (options.ExpiryRetryAfter <= TimeSpan.Zero)
        {
            (failures ??= []).Add($"{EdgeDirectoryOptions.SectionName}:{nameof(options.ExpiryRetryAfter)} must be positive (was {options.ExpiryRetryAfter}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
