using Microsoft.Extensions.Options;

namespace WsRooms.Grains.Sessions;

/// <summary>v2 sessions (section <see cref="SectionName"/>): how long a suspended one waits, its direct log's bound, and how many message ids it remembers for how long.</summary>
public sealed class SessionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "WsRooms:Sessions";

    /// <summary>
    /// How long a suspended session waits for a resume before it ends as a v1 close does. 30 s: long enough for a phone
    /// to change networks or an edge host to restart, short enough that the others soon learn of a client that is gone.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many direct messages each session's direct log keeps for a resume: 1,000, as many as a room log keeps by
    /// default, while each session's memory stays bounded.
    /// </summary>
    public int MaxDirectFrames { get; set; } = 1000;

    /// <summary>
    /// How many accepted message ids (<c>mid</c>) each session remembers, so that a frame sent again is acknowledged
    /// again instead of delivered twice: 4,096, more than a client has unacknowledged at once, while each session's
    /// memory stays bounded.
    /// </summary>
    public int MaxMids { get; set; } = 4096;

    /// <summary>
    /// How long a session remembers an accepted message id: 10 minutes, as long as a room log keeps a frame by default,
    /// so a resend is recognised for as long as a resume could replay its frame.
    /// </summary>
    public TimeSpan MidRetention { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Checks <see cref="SessionOptions"/> at start, naming the full key of each bad value.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    /// <summary>The longest grace period: a suspended session holds its rooms and memory for that long.</summary>
    private static readonly TimeSpan MaxGracePeriod = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, SessionOptions options)
    {
        List<string>? failures = null;
        if (options.GracePeriod <= TimeSpan.Zero || options.GracePeriod > MaxGracePeriod)
        {
            (failures ??= []).Add($"{SessionOptions.SectionName}:{nameof(options.GracePeriod)} must be above 0 and at most {MaxGracePeriod:c} (was {options.GracePeriod:c}).");
        }

        if (options.MaxDirectFrames < 1)
        {
            (failures ??= []).Add($"{SessionOptions.SectionName}:{nameof(options.MaxDirectFrames)} must be at least 1 (was {options.MaxDirectFrames}).");
        }

        if (options.MaxMids < 1)
        {
            (failures ??= []).Add($"{SessionOptions.SectionName}:{nameof(options.MaxMids)} must be at least 1 (was {options.MaxMids}).");
        }

        if (options.MidRetention <= TimeSpan.Zero)
        {
            (failures ??= []).Add($"{SessionOptions.SectionName}:{nameof(options.MidRetention)} must be above 0 (was {options.MidRetention:c}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
