using Microsoft.Extensions.Options;
using WsRooms.Protocol;

namespace WsRooms.Grains.RoomLogs;

/// <summary>
/// Which limits a room's log has, from <see cref="RoomLogOptions"/>: the most specific rule whose pattern matches the
/// room's name (exact, then the longest prefix), else the defaults. Looked up once per room activation.
/// </summary>
internal sealed class RoomLogRetention
{
    private readonly RoomLogLimits _default;
    private readonly Dictionary<string, RoomLogLimits> _exact = new(StringComparer.Ordinal);
    private readonly (string Prefix, RoomLogLimits Limits)[] _prefixes;

    public RoomLogRetention(IOptions<RoomLogOptions> options)
    {
        var o = options.Value;
        _default = new RoomLogLimits(o.MaxFrames, o.MaxAge, o.MaxBytes, o.Durable);
        var prefixes = new List<(string, RoomLogLimits)>();
        foreach (var rule in o.Rules)
        {
            var limits = new RoomLogLimits(rule.MaxFrames ?? o.MaxFrames, rule.MaxAge ?? o.MaxAge, rule.MaxBytes ?? o.MaxBytes, rule.Durable ?? o.Durable);
            if (RoomPattern.IsPrefix(rule.Pattern))
            {
                prefixes.Add((rule.Pattern[..^1], limits));
            }
            else
            {
                _exact[rule.Pattern] = limits;
            }
        }

        // Longest first, so the first prefix that matches is the most specific one.
        _prefixes = [.. prefixes.OrderByDescending(p => p.Item1.Length)];
    }

    public RoomLogLimits For(string room)
    {
        if (_exact.TryGetValue(room, out var exact))
        {
            return exact;
        }

        foreach (var (prefix, limits) in _prefixes)
        {
            if (room.StartsWith(prefix, StringComparison.Ordinal))
            {
                return limits;
            }
        }

        return _default;
    }
}
