using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace WsRooms.Hosting.Telemetry;

/// <summary>How the two WsRooms apps export the meters their libraries publish: the apps choose, the libraries don't.</summary>
public static class MetricsExport
{
    /// <summary>
    /// Exports <paramref name="meters"/> with OpenTelemetry under <paramref name="serviceName"/>: to a Prometheus
    /// exporter (served where the app maps <c>MapPrometheusScrapingEndpoint</c>), and over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the variable OpenTelemetry's own configuration reads.
    /// </summary>
    public static IServiceCollection AddWsRoomsMetricsExport(this IServiceCollection services, string serviceName, IEnumerable<string> meters)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentNullException.ThrowIfNull(meters);
        var names = meters.ToArray();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(names);
                metrics.AddPrometheusExporter();
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }
}
