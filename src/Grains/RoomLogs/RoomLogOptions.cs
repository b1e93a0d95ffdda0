using Microsoft.Extensions.Options;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.RoomLogs;

/// <summary>
/// How far back each room's log reaches (section <see cref="SectionName"/>): <see cref="MaxFrames"/>,
/// <see cref="MaxAge"/> and <see cref="MaxBytes"/> for every room no rule names, and <see cref="Rules"/> for rooms
/// whose name matches a pattern. A frame leaves the log when any of the three limits is passed.
/// </summary>
public sealed class RoomLogOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "WsRooms:RoomLog";

    /// <summary>The most frames a rule or <see cref="MaxFrames"/> may keep: each room's ring buffer has up to that many slots.</summary>
    public const int MaxFramesLimit = 1_000_000;

    /// <summary>
    /// The most frames a room keeps (default 1,000): a chat's scrollback for a page that opens it, and the frames a
    /// busy room fans out while a client reconnects. 0 keeps none (frames still get positions).
    /// </summary>
    public int MaxFrames { get; set; } = 1_000;

    /// <summary>
    /// How long a frame stays in the log (default 10 minutes): far longer than a reconnect or a page reload takes,
    /// short enough that an idle room's log does not hold yesterday's traffic.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The most bytes a room's log holds, counting each frame's payload and a fixed overhead per frame (default 1 MiB):
    /// 1,000 frames of 1 KiB, and a bound on what a room of large frames holds of a silo's memory.
    /// 0 keeps none.
    /// </summary>
    public long MaxBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Whether a room's log is also kept in Azure Table storage, so its frames and positions survive the death of the
    /// room's silo (default false: a durable log delays each fan-out by one storage write, which most rooms do not
    /// need). Needs the silo's Azure Table storage; with memory storage a durable log is refused at start.
    /// </summary>
    public bool Durable { get; set; }

    /// <summary>
    /// Limits for rooms whose name matches a rule's pattern; a limit a rule leaves unset is taken from above. The most
    /// specific pattern wins: an exact name before any prefix, a longer prefix before a shorter one, <c>*</c> last.
    /// </summary>
    public List<RoomLogRule> Rules { get; set; } = [];
}

/// <summary>The retention of the rooms whose name matches <see cref="Pattern"/> (<c>WsRooms:RoomLog:Rules:N</c>).</summary>
public sealed class RoomLogRule
{
    /// <summary>A room name, <c>*</c>, or a prefix ending in <c>*</c> such as <c>chat.*</c>, as in the edge's room rules.</summary>
    public string Pattern { get; set; } = "";

    /// <summary>The most frames a matching room keeps; unset: <see cref="RoomLogOptions.MaxFrames"/>.</summary>
    public int? MaxFrames { get; set; }

    /// <summary>How long a frame stays in a matching room's log; unset: <see cref="RoomLogOptions.MaxAge"/>.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>The most bytes a matching room's log holds; unset: <see cref="RoomLogOptions.MaxBytes"/>.</summary>
    public long? MaxBytes { get; set; }

    /// <summary>Whether a matching room's log is durable; unset: <see cref="RoomLogOptions.Durable"/>.</summary>
    public bool? Durable { get; set; }
}

/// <summary>Rejects retention the logs cannot work with, at silo start rather than at a room's first frame.</summary>
/// <remarks>
/// A durable log needs a durable store (<see cref="IRoomLogStore"/>, registered with the silo's Azure Table storage):
/// without one a durable rule is refused rather than quietly kept in memory, since a room configured to survive its
/// silo that does not would be found out only when a silo dies.
/// </remarks>
internal sealed class RoomLogOptionsValidator(IEnumerable<IRoomLogStore> stores) : IValidateOptions<RoomLogOptions>
{
    private readonly bool _hasStore = stores.Any();

    public ValidateOptionsResult Validate(string? name, RoomLogOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add(message);

        CheckLimits(RoomLogOptions.SectionName, options.MaxFrames, options.MaxAge, options.MaxBytes, Fail);
        CheckDurable(RoomLogOptions.SectionName, options.Durable, Fail);
        var patterns = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var key = $"{RoomLogOptions.SectionName}:{nameof(options.Rules)}:{i}";
            var pattern = rule.Pattern ?? "";
            if (!RoomPattern.IsValid(pattern))
            {
                Fail($"{key}:{nameof(rule.Pattern)} must be a room name, '*' or a prefix ending in '*' (was '{pattern}').");
            }
            else if (!patterns.Add(pattern))
            {
                Fail($"{key}:{nameof(rule.Pattern)} repeats the pattern of an earlier rule (was '{pattern}').");
            }

            CheckLimits(key, rule.MaxFrames, rule.MaxAge, rule.MaxBytes, Fail);
            CheckDurable(key, rule.Durable, Fail);
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void CheckDurable(string key, bool? durable, Action<string> fail)
    {
        if (durable is true && !_hasStore)
        {
            fail($"{key}:{nameof(RoomLogOptions.Durable)} needs Azure Table storage (WsRooms:GrainStorage AzureTable, AddWsRoomsAzureTableStorage); this silo keeps its state in memory (was true).");
        }
    }

    private static void CheckLimits(string key, int? maxFrames, TimeSpan? maxAge, long? maxBytes, Action<string> fail)
    {
        if (maxFrames is < 0 or > RoomLogOptions.MaxFramesLimit)
        {
            fail($"{key}:{nameof(RoomLogOptions.MaxFrames)} must be between 0 and {RoomLogOptions.MaxFramesLimit} (was {maxFrames}).");
        }

        if (maxAge <= TimeSpan.Zero)
        {
            fail($"{key}:{nameof(RoomLogOptions.MaxAge)} must be positive (was {maxAge}).");
        }

        if (maxBytes < 0)
        {
            fail($"{key}:{nameof(RoomLogOptions.MaxBytes)} must not be negative (was {maxBytes}).");
        }
    }
}
