using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using WsRooms.Grains.Hosting;
using WsRooms.Hosting;
using WsRooms.Hosting.AzureStorage;
using WsRooms.Silo.Configuration;
using WsRooms.Silo.Health;

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

// What decides how the silo is built is read now, by the rules the container checks again at start; every
// problem is reported at once, one line per key.
var problems = new List<string>();
var identity = builder.AddStartupOptions(ClusterIdentityOptions.SectionName, new ClusterIdentityOptionsValidator(), problems);
var clustering = builder.AddStartupOptions(ClusteringOptions.SectionName, new ClusteringOptionsValidator(), problems).Clustering;
var grainStorage = builder.AddStartupOptions(SiloStorageOptions.SectionName, new SiloStorageOptionsValidator(), problems).GrainStorage;
var endpoints = builder.AddStartupOptions(SiloEndpointOptions.SectionName, new SiloEndpointOptionsValidator(clustering), problems);
var membership = builder.AddStartupOptions(SiloMembershipOptions.SectionName, new SiloMembershipOptionsValidator(), problems);
var messaging = builder.AddStartupOptions(SiloMessagingTimeoutOptions.SectionName, new SiloMessagingTimeoutOptionsValidator(), problems);
var dashboard = builder.AddStartupOptions<WsRoomsDashboardOptions>(WsRoomsDashboardOptions.SectionName, validator: null, problems).Enabled;
var azureNeededBy = string.Join(", ", new[]
{
    clustering == ClusteringProvider.AzureStorage ? $"{ClusteringOptions.ClusteringKey} is AzureStorage" : null,
    grainStorage == GrainStorageProvider.AzureTable ? $"{SiloStorageOptions.GrainStorageKey} is AzureTable" : null,
}.OfType<string>());
var azure = builder.AddStartupOptions(AzureStorageOptions.SectionName, new AzureStorageOptionsValidator(azureNeededBy.Length == 0 ? null : azureNeededBy), problems);
if (problems.Count > 0)
{
    return await StartupOptions.ReportInvalidAsync("WsRooms silo", problems);
}

builder.UseOrleans(silo =>
{
    if (clustering == ClusteringProvider.AzureStorage)
    {
        // Table membership: silos and edge hosts find each other in the storage account, wherever they run.
        silo.UseAzureStorageClustering(o => o.TableServiceClient = azure.CreateTableServiceClient());
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = identity.ClusterId;
            o.ServiceId = identity.ServiceId;
        });
        if (endpoints.AdvertisedAddress is { } advertised)
        {
            silo.ConfigureEndpoints(advertised, endpoints.SiloPort, endpoints.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        }
        else
        {
            silo.ConfigureEndpoints(endpoints.SiloPort, endpoints.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        }
    }
    else
    {
        // Loopback clustering: several silos on one machine, the first (PrimarySiloPort 0) being the rendezvous.
        silo.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, endpoints.PrimarySiloEndpoint, identity.ServiceId, identity.ClusterId);
    }

    if (membership.ProbeTimeout is not null || membership.NumMissedProbesLimit is not null)
    {
        // Tests that kill silos notice the death in seconds; unset keeps Orleans' values, which ride out long pauses.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = membership.ProbeTimeout ?? o.ProbeTimeout;
            o.NumMissedProbesLimit = membership.NumMissedProbesLimit ?? o.NumMissedProbesLimit;
        });
    }

    if (messaging.ResponseTimeout is { } responseTimeout)
    {
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
    }

    silo.AddWsRooms();
    silo.AddWsRoomsHealthEndpoint(); // WsRooms:Health:Port (0: off): /healthz, /readyz, /metrics
    silo.AddWsRoomsPushStreams();

    // The silo collects grain and silo statistics; an edge host with the same option serves the UI at /dashboard
    // (the dashboard's way of being hosted on an Orleans client).
    if (dashboard)
    {
        silo.AddDashboard();
    }

    if (grainStorage == GrainStorageProvider.AzureTable)
    {
        silo.AddWsRoomsAzureTableStorage(azure.CreateTableServiceClient);
    }
    else
    {
        silo.AddWsRoomsMemoryStorage();
    }
});

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsRooms.Silo");
Log.Starting(logger, identity.ClusterId, endpoints.SiloPort, endpoints.GatewayPort, endpoints.PrimarySiloPort);
Log.Providers(logger, clustering, grainStorage, azureNeededBy.Length == 0 ? "none" : azure.Describe());
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => Log.Stopped(logger));

try
{
    // RunAsync returns after Ctrl-C or SIGTERM once the silo has left the cluster (the host's console lifetime).
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // Options checked at start (e.g. WsRooms:Outbox:*): one clear message instead of a stack trace.
    return await StartupOptions.ReportInvalidAsync("WsRooms silo", ex.Failures);
}
