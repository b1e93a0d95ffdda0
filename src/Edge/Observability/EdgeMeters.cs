namespace WsRooms.Edge.Observability;

/// <summary>
/// The meters the edge publishes (System.Diagnostics.Metrics), for the host to export with the listener or exporter
/// it chooses: with OpenTelemetry, <c>metrics.AddMeter([.. EdgeMeters.Names])</c>. The edge itself exports nothing.
/// </summary>
/// <remarks>
/// Instruments on <see cref="EdgeMeterName"/>:
/// <list type="table">
/// <item><term>wsrooms.edge.connections</term><description>UpDownCounter: open WebSocket connections.</description></item>
/// <item><term>wsrooms.edge.rooms</term><description>ObservableGauge: rooms with at least one local member.</description></item>
/// <item><term>wsrooms.edge.frames.in / .out</term><description>Counters: frames received from / written to clients.</description></item>
/// <item><term>wsrooms.edge.bytes.in / .out</term><description>Counters: bytes of those frames.</description></item>
/// <item><term>wsrooms.edge.drops</term><description>Counter, tag <c>reason</c>: client frames or deliveries dropped.</description></item>
/// <item><term>wsrooms.edge.closes</term><description>Counter, tag <c>code</c>: connections ended, by close code.</description></item>
/// <item><term>wsrooms.edge.rejections</term><description>Counter, tag <c>reason</c>: upgrades refused or closed at once (401, 403, 503, limits).</description></item>
/// <item><term>wsrooms.edge.delivery.latency</term><description>Histogram (ms): stream publish on the silo → receipt on this edge.</description></item>
/// </list>
/// </remarks>
public static class EdgeMeters
{
    /// <summary>The edge host's meter, created once per host through its <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.</summary>
    public const string EdgeMeterName = "WsRooms.Edge";

    /// <summary>Every meter the edge library creates: what a host adds to its exporter.</summary>
    public static IReadOnlyList<string> Names { get; } = [EdgeMeterName];
}
