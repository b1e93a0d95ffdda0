using Microsoft.Extensions.DependencyInjection;
using WsRooms.Grains.Observability;
using WsRooms.Hosting.Telemetry;

namespace WsRooms.Silo.Health;

/// <summary>
/// The exporters of the silo's meters: the libraries only publish them (System.Diagnostics.Metrics); the host
/// chooses where they go.
/// </summary>
internal static class SiloMetricsExporters
{
    /// <summary>
    /// The meters exported: those src/Grains publishes (<see cref="SiloMeters.Names"/>), Orleans' and the .NET runtime's.
    /// </summary>
    public static readonly string[] MeterNames = [.. SiloMeters.Names, "Microsoft.Orleans", "System.Runtime"];

    /// <summary>
    /// A Prometheus exporter (served by <c>MapPrometheusScrapingEndpoint</c>), and an OTLP exporter when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the variable OpenTelemetry's own configuration reads.
    /// </summary>
    public static IServiceCollection AddSiloMetricsExporters(this IServiceCollection services) =>
        services.AddWsRoomsMetricsExport("wsrooms-silo", MeterNames);
}
