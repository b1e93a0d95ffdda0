using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using WsRooms.Delivery;

namespace WsRooms.Observability;

/// <summary>The silo's small HTTP listener for probes and scrapes (<c>WsRooms:Health</c>).</summary>
public sealed class SiloHealthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "WsRooms:Health";

    /// <summary>TCP port of the listener; 0 (the default) turns it off.</summary>
    public int Port { get; set; }

    /// <summary>The address it listens on. Default 127.0.0.1; set 0.0.0.0 where probes come from outside (containers).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Whether <c>/metrics</c> (Prometheus) is served there too. Default true.</summary>
    public bool Metrics { get; set; } = true;
}

/// <summary>
/// <c>/healthz</c> (200 while the process runs), <c>/readyz</c> (200 while this silo is Active in the cluster, else
/// 503) and <c>/metrics</c> (Prometheus: the WsRooms, Orleans and runtime meters) on a minimal Kestrel listener of
/// its own, so the silo stays a generic host.
/// </summary>
internal sealed partial class SiloHealthServer(IOptions<SiloHealthOptions> options, ISiloStatusOracle oracle, ILogger<SiloHealthServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where it listens, once started.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Port == 0)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{settings.Host}:{settings.Port}");
        builder.Logging.ClearProviders();
        if (settings.Metrics)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("wsrooms-silo"))
                .WithMetrics(metrics =>
                {
                    metrics.AddMeter(SiloMetrics.MeterName, EdgeOutbox.MeterName, "Microsoft.Orleans", "System.Runtime");
                    metrics.AddPrometheusExporter();
                    if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
                    {
                        metrics.AddOtlpExporter();
                    }
                });
        }

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("Healthy"));
        app.MapGet("/readyz", () =>
        {
            var status = oracle.CurrentStatus;
            return status == SiloStatus.Active
                ? Results.Text("Healthy")
                : Results.Text($"Unhealthy: silo is {status}", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        if (settings.Metrics)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Address = new Uri(app.Urls.First());
        LogListening(logger, Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Silo health endpoints on {Address} (/healthz, /readyz, /metrics)")]
    private static partial void LogListening(ILogger logger, Uri address);
}

/// <summary>Adds the silo's health listener.</summary>
public static class SiloHealthExtensions
{
    /// <summary>
    /// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> on <c>WsRooms:Health:Port</c> (0, the default: off), bound
    /// from configuration and then <paramref name="configure"/>.
    /// </summary>
    public static ISiloBuilder AddWsRoomsHealthEndpoint(this ISiloBuilder builder, Action<SiloHealthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<SiloHealthOptions>().BindConfiguration(SiloHealthOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.Port is >= 0 and <= 65535, "WsRooms:Health:Port must be 0 (off) to 65535.").ValidateOnStart();
        builder.Services.AddSingleton<SiloHealthServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SiloHealthServer>());
        return builder;
    }
}
