using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using WsRooms.Edge.Connections;

namespace WsRooms.Edge.Observability;

/// <summary>
/// The edge host's instruments (listed on <see cref="EdgeMeters"/>), on meter <see cref="EdgeMeters.EdgeMeterName"/>,
/// created through <see cref="IMeterFactory"/> so each host has its own. Nothing here allocates per frame: counters
/// without tags or with static tag lists.
/// </summary>
internal sealed class EdgeMetrics
{
    // One tag array per known reason, made once: counting a drop allocates nothing.
    private static readonly FrozenDictionary<string, KeyValuePair<string, object?>[]> ReasonTags = DropReasons.All
        .ToFrozenDictionary(r => r, r => new[] { new KeyValuePair<string, object?>("reason", r) }, StringComparer.Ordinal);

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _framesIn;
    private readonly Counter<long> _framesOut;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _drops;
    private readonly Counter<long> _closes;
    private readonly Counter<long> _rejections;
    private readonly Histogram<double> _deliveryLatency;

    public EdgeMetrics(IMeterFactory meterFactory, ConnectionRegistry registry)
    {
        var meter = meterFactory.Create(EdgeMeters.EdgeMeterName);
        _connections = meter.CreateUpDownCounter<long>("wsrooms.edge.connections", "{connection}", "Open WebSocket connections.");
        meter.CreateObservableGauge("wsrooms.edge.rooms", () => registry.RoomCount, "{room}", "Rooms with at least one member on this edge host.");
        _framesIn = meter.CreateCounter<long>("wsrooms.edge.frames.in", "{frame}", "Frames received from clients.");
        _framesOut = meter.CreateCounter<long>("wsrooms.edge.frames.out", "{frame}", "Frames written to clients.");
        _bytesIn = meter.CreateCounter<long>("wsrooms.edge.bytes.in", "By", "Bytes of the frames received from clients.");
        _bytesOut = meter.CreateCounter<long>("wsrooms.edge.bytes.out", "By", "Bytes of the frames written to clients.");
        _drops = meter.CreateCounter<long>("wsrooms.edge.drops", "{frame}", "Client frames or deliveries dropped, by reason.");
        _closes = meter.CreateCounter<long>("wsrooms.edge.closes", "{connection}", "Connections ended, by close code.");
        _rejections = meter.CreateCounter<long>("wsrooms.edge.rejections", "{connection}", "WebSocket requests refused or closed at once, by reason.");
        _deliveryLatency = meter.CreateHistogram<double>(
            "wsrooms.edge.delivery.latency",
            "ms",
            "Time from a silo publishing a batch to this edge's stream to the edge receiving it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 25, 50, 100, 250, 500, 1000, 5000] });
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed(WebSocketCloseStatus status)
    {
        _connections.Add(-1);
        _closes.Add(1, CodeTag(status));
    }

    public void FrameIn(int bytes)
    {
        _framesIn.Add(1);
        _bytesIn.Add(bytes);
    }

    public void FrameOut(int bytes)
    {
        _framesOut.Add(1);
        _bytesOut.Add(bytes);
    }

    /// <summary>Counts a drop; <paramref name="reason"/> must be one of <see cref="DropReasons"/> (the tag arrays are cached).</summary>
    public void Dropped(string reason) => _drops.Add(1, Tags("reason", reason));

    public void Rejected(string reason) => _rejections.Add(1, Tags("reason", reason));

    public void DeliveryLatency(double milliseconds) => _deliveryLatency.Record(milliseconds);

    private static ReadOnlySpan<KeyValuePair<string, object?>> CodeTag(WebSocketCloseStatus status) => (int)status switch
    {
        1000 => Code1000,
        1001 => Code1001,
        1002 => Code1002,
        1003 => Code1003,
        1007 => Code1007,
        1008 => Code1008,
        1009 => Code1009,
        1011 => Code1011,
        1012 => Code1012,
        1013 => Code1013,
        _ => new[] { new KeyValuePair<string, object?>("code", (int)status) },
    };

    private static readonly KeyValuePair<string, object?>[] Code1000 = [new("code", 1000)];
    private static readonly KeyValuePair<string, object?>[] Code1001 = [new("code", 1001)];
    private static readonly KeyValuePair<string, object?>[] Code1002 = [new("code", 1002)];
    private static readonly KeyValuePair<string, object?>[] Code1003 = [new("code", 1003)];
    private static readonly KeyValuePair<string, object?>[] Code1007 = [new("code", 1007)];
    private static readonly KeyValuePair<string, object?>[] Code1008 = [new("code", 1008)];
    private static readonly KeyValuePair<string, object?>[] Code1009 = [new("code", 1009)];
    private static readonly KeyValuePair<string, object?>[] Code1011 = [new("code", 1011)];
    private static readonly KeyValuePair<string, object?>[] Code1012 = [new("code", 1012)];
    private static readonly KeyValuePair<string, object?>[] Code1013 = [new("code", 1013)];

    private static KeyValuePair<string, object?>[] Tags(string key, string value) =>
        ReasonTags.TryGetValue(value, out var tags) ? tags : [new(key, value)];
}

/// <summary>The <c>reason</c> tags of <c>wsrooms.edge.drops</c> and <c>wsrooms.edge.rejections</c>.</summary>
internal static class DropReasons
{
    public const string ForgedEvent = "forged_event";
    public const string JoinDenied = "join_denied";
    public const string PublishDenied = "publish_denied";
    public const string TooManyRooms = "too_many_rooms";
    public const string RoomFull = "room_full";
    public const string DispatchFailed = "dispatch_failed";
    public const string RateLimited = "rate_limited";
    public const string UnknownConnection = "unknown_connection";
    public const string Unauthorized = "unauthorized";
    public const string Origin = "origin";
    public const string NotReady = "not_ready";
    public const string ConnectionLimit = "connection_limit";
    public const string DuplicateBatch = "duplicate_batch";

    public static readonly string[] All =
    [
        ForgedEvent, JoinDenied, PublishDenied, TooManyRooms, RoomFull, DispatchFailed, RateLimited, UnknownConnection,
        Unauthorized, Origin, NotReady, ConnectionLimit, DuplicateBatch,
    ];
}
