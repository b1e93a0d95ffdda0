namespace WsRooms.Grains.Observability;

/// <summary>
/// The meters WsRooms publishes in a silo (System.Diagnostics.Metrics), for the host to export with the listener or
/// exporter it chooses: with OpenTelemetry, <c>metrics.AddMeter([.. SiloMeters.Names])</c>. The grains export nothing.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><see cref="SiloMeterName"/></term><description>rooms and connection grains active, joins, leaves,
/// refused joins, fan-outs and dropped broadcasts.</description></item>
/// <item><term><see cref="OutboxMeterName"/></term><description>deliveries posted to edge hosts, dropped (by reason),
/// batches published, publish retries and live edge queues.</description></item>
/// </list>
/// </remarks>
public static class SiloMeters
{
    /// <summary>The room and connection grains' meter.</summary>
    public const string SiloMeterName = "WsRooms.Silo";

    /// <summary>The edge outbox's meter: the path from the grains to the edge hosts' streams.</summary>
    public const string OutboxMeterName = "WsRooms.EdgeOutbox";

    /// <summary>Every meter the silo library creates: what a host adds to its exporter.</summary>
    public static IReadOnlyList<string> Names { get; } = [SiloMeterName, OutboxMeterName];
}
