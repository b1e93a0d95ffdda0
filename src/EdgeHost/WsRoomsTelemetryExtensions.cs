using WsRooms.Edge.Observability;
using WsRooms.Hosting.Telemetry;

namespace WsRooms.EdgeHost;

/// <summary>This host's choice of exporters for the edge's meters: a Prometheus scrape endpoint, and OTLP when configured.</summary>
public static class WsRoomsTelemetryExtensions
{
    /// <summary>
    /// Exports the edge's meters (<see cref="EdgeMeters.Names"/>) and ASP.NET Core's, Kestrel's and the runtime's with
    /// OpenTelemetry: to a Prometheus scrape endpoint (map it with <see cref="MapWsRoomsPrometheus"/>), and over OTLP
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard <c>OTEL_*</c> variables configure it). Not
    /// Orleans' per-message meters, which cost on the hot path: add <c>Microsoft.Orleans</c> yourself if wanted.
    /// </summary>
    public static IServiceCollection AddWsRoomsOpenTelemetry(this IServiceCollection services, string serviceName = "wsrooms-edge")
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddWsRoomsMetricsExport(serviceName, [.. EdgeMeters.Names, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"]);
    }

    /// <summary>The Prometheus scrape endpoint, <c>GET /metrics</c> by default.</summary>
    public static IEndpointConventionBuilder MapWsRoomsPrometheus(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPrometheusScrapingEndpoint(path);
    }
}
