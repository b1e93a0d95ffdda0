using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using WsRooms.Grains.Hosting;
using WsRooms.Hosting;
using WsRooms.Observability;
using WsRooms.Silo;

// Content root = the output folder, so appsettings.json is found whatever the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.UseUtcTimestamp = true;
});

var settings = SiloSettings.Load(builder.Configuration, out var errors);
if (settings is null)
{
    await Console.Error.WriteLineAsync("WsRooms silo: invalid configuration:");
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync("  " + error);
    }

    return 2;
}

builder.UseOrleans(silo =>
{
    if (settings.Clustering == ClusteringProvider.AzureStorage)
    {
        // Table membership: silos and edge hosts find each other in the storage account, wherever they run.
        silo.UseAzureStorageClustering(o => o.TableServiceClient = settings.Azure.CreateTableServiceClient());
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        if (settings.AdvertisedIPAddress is { } advertised)
        {
            silo.ConfigureEndpoints(advertised, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        }
        else
        {
            silo.ConfigureEndpoints(settings.SiloPort, settings.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        }
    }
    else
    {
        // Loopback clustering: several silos on one machine, the first (PrimarySiloPort 0) being the rendezvous.
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, settings.PrimarySiloEndpoint, settings.ServiceId, settings.ClusterId);
    }

    if (settings.ProbeTimeout is not null || settings.NumMissedProbesLimit is not null)
    {
        // Tests only: notice a killed silo in seconds. Production keeps Orleans' defaults (FIELD-NOTES: 7-18 s).
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = settings.ProbeTimeout ?? o.ProbeTimeout;
            o.NumMissedProbesLimit = settings.NumMissedProbesLimit ?? o.NumMissedProbesLimit;
        });
    }

    if (settings.ResponseTimeout is { } responseTimeout)
    {
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
    }

    silo.AddWsRooms(outbox => builder.Configuration.GetSection("WsRooms:Outbox").Bind(outbox));
    silo.AddWsRoomsHealthEndpoint(); // WsRooms:Health:Port (0: off): /healthz, /readyz, /metrics

    // The Orleans Dashboard, an option: the silo collects grain and silo statistics; an edge host with the same
    // option serves the UI at /dashboard (the dashboard's way of being hosted on an Orleans client).
    if (builder.Configuration.GetValue<bool>("WsRooms:Dashboard:Enabled"))
    {
        silo.AddDashboard();
    }

    if (settings.GrainStorage == GrainStorageProvider.AzureTable)
    {
        silo.AddWsRoomsAzureTableStorage(settings.Azure.CreateTableServiceClient);
    }
    else
    {
        silo.AddWsRoomsMemoryStorage();
    }

    silo.AddWsRoomsPushStreams();
});

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsRooms.Silo");
SiloLog.Starting(logger, settings.ClusterId, settings.SiloPort, settings.GatewayPort, settings.PrimarySiloPort, settings.PullingPeriodMs);
SiloLog.Providers(logger, settings.Clustering, settings.GrainStorage, settings.Streams,
    settings.Clustering == ClusteringProvider.AzureStorage || settings.GrainStorage == GrainStorageProvider.AzureTable || settings.Streams == StreamsProvider.AzureQueue
        ? settings.Azure.Describe()
        : "none");
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => SiloLog.Stopped(logger));

try
{
    // RunAsync returns after Ctrl-C or SIGTERM once the silo has left the cluster (the host's console lifetime).
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // Options checked at start (e.g. WsRooms:Outbox:*): one clear message instead of a stack trace.
    await Console.Error.WriteLineAsync("WsRooms silo: invalid configuration:");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  " + failure);
    }

    return 2;
}

internal static partial class SiloLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Starting silo: cluster {ClusterId}, silo port {SiloPort}, gateway port {GatewayPort}, primary silo port {PrimarySiloPort} (0 = this one), stream pulling period {PullingPeriodMs} ms (Memory and AzureQueue streams only)")]
    public static partial void Starting(ILogger logger, string clusterId, int siloPort, int gatewayPort, int primarySiloPort, int pullingPeriodMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Providers: clustering {Clustering}, grain storage {GrainStorage}, streams {Streams}; Azure storage: {Storage}")]
    public static partial void Providers(ILogger logger, ClusteringProvider clustering, GrainStorageProvider grainStorage, StreamsProvider streams, string storage);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Silo stopped")]
    public static partial void Stopped(ILogger logger);
}
