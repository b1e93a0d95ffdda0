using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Health;

/// <summary>
/// <c>/healthz</c> (200 while the process runs), <c>/readyz</c> (200 while this silo is Active in the cluster, else
/// 503) and <c>/metrics</c> (Prometheus: the WsRooms, Orleans and runtime meters) on a minimal Kestrel listener of
/// its own, so the silo stays a generic host.
/// </summary>
internal sealed partial class SiloHealthServer(IOptions<SiloHealthOptions> options, ISiloStatusOracle oracle, ILogger<SiloHealthServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where it listens, once started; null while it is off.</summary>
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
            builder.Services.AddSiloMetricsExporters();
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
        Log.Listening(logger, Address);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 8100, Level = LogLevel.Information, Message = "Silo health endpoints on {Address} (/healthz, /readyz, /metrics)")]
        public static partial void Listening(ILogger logger, Uri address);
    }
}
