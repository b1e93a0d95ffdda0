using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using WsRooms.Edge.Observability;

namespace WsRooms.Edge;

/// <summary>OpenTelemetry export of the WsRooms meters for an edge host.</summary>
public static class WsRoomsTelemetryExtensions
{
    /// <summary>Every meter WsRooms itself creates, edge and silo.</summary>
    public static readonly string[] MeterNames = [EdgeMetrics.MeterName, "WsRooms.Silo", "WsRooms.EdgeOutbox"];

    /// <summary>
    /// Exports the WsRooms meters (and ASP.NET Core's, Kestrel's and the runtime's; not Orleans' per-message ones, which
    /// cost on the hot path: add <c>Microsoft.Orleans</c> yourself if wanted) with OpenTelemetry: to a
    /// Prometheus scrape endpoint (map it with <see cref="MapWsRoomsPrometheus"/>), and over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard <c>OTEL_*</c> variables configure it).
    /// </summary>
    public static IServiceCollection AddWsRoomsOpenTelemetry(this IServiceCollection services, string serviceName = "wsrooms-edge")
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MeterNames);
                metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime");
                metrics.AddPrometheusExporter();
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }

    /// <summary>The Prometheus scrape endpoint, <c>GET /metrics</c> by default.</summary>
    public static IEndpointConventionBuilder MapWsRoomsPrometheus(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPrometheusScrapingEndpoint(path);
    }
}
