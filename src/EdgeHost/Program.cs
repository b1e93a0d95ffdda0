using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using WsRooms.Edge;
using WsRooms.EdgeHost;
using WsRooms.Hosting;
using WsRooms.Hosting.AzureStorage;

// The default edge host: the reusable edge (src/Edge) plus one sample handler and the try-it page.
// A team's own host is this file with its own handlers and authorization hook.
var builder = WebApplication.CreateBuilder(args);

// What decides how the Orleans client is built is read now, by the rules the container checks again at start;
// every problem is reported at once, one line per key.
var problems = new List<string>();
var identity = builder.AddStartupOptions(ClusterIdentityOptions.SectionName, new ClusterIdentityOptionsValidator(), problems);
var clustering = builder.AddStartupOptions(ClusteringOptions.SectionName, new ClusteringOptionsValidator(), problems).Clustering;
var gateways = builder.AddStartupOptions(EdgeClusterOptions.SectionName, new EdgeClusterOptionsValidator(), problems);
var azure = builder.AddStartupOptions(AzureStorageOptions.SectionName, new AzureStorageOptionsValidator(
    clustering == ClusteringProvider.AzureStorage ? $"{ClusteringOptions.ClusteringKey} is AzureStorage" : null), problems);
// The Orleans Dashboard, an option (on the silos too): its UI at /dashboard.
var dashboard = builder.AddStartupOptions<WsRoomsDashboardOptions>(WsRoomsDashboardOptions.SectionName, validator: null, problems).Enabled;
if (problems.Count > 0)
{
    return await StartupOptions.ReportInvalidAsync("WsRooms edge host", problems);
}

builder.UseOrleansClient(client =>
{
    if (dashboard)
    {
        client.AddDashboard();
    }

    if (clustering == ClusteringProvider.AzureStorage)
    {
        // The gateways are whatever silos the membership table lists as active.
        client.UseAzureStorageClustering(o => o.TableServiceClient = azure.CreateTableServiceClient());
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = identity.ClusterId;
            o.ServiceId = identity.ServiceId;
        });
        // Silos that come back after a full restart are found within this, not Orleans' default minute.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
    }
    else if (gateways.GatewayPorts.Length > 0)
    {
        client.UseLocalhostClustering(gateways.GatewayPorts, identity.ServiceId, identity.ClusterId);
    }
    else
    {
        // Orleans' default gateway port: where a silo started with no settings listens.
        client.UseLocalhostClustering(serviceId: identity.ServiceId, clusterId: identity.ClusterId);
    }

    client.AddWsRoomsStreams();
});

builder.Services
    .AddWsRooms()
    .AddHandler(PingHandler.EventName, PingHandler.HandleAsync);
builder.Services.AddWsRoomsOpenTelemetry(); // Prometheus at /metrics; OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set

var app = builder.Build();

app.UseDefaultFiles();
// The demo page and wsrooms.js: revalidated on every load (ETag), so a new client module is picked up at once;
// .ts is TypeScript declarations here, not an MPEG transport stream.
var contentTypes = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
contentTypes.Mappings[".ts"] = "text/plain; charset=utf-8";
app.UseStaticFiles(new StaticFileOptions
{
    ContentTypeProvider = contentTypes,
    OnPrepareResponse = static file => file.Context.Response.Headers.CacheControl = "no-cache",
});
app.MapWsRooms("/ws");
app.MapWsRoomsHealthChecks(); // /healthz (live), /readyz (stream subscribed, cluster connected, not draining)
app.MapWsRoomsPrometheus();   // /metrics
if (dashboard)
{
    app.MapOrleansDashboard("/dashboard");
}

try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // Options checked at start (WsRooms:*): one clear message instead of a stack trace.
    return await StartupOptions.ReportInvalidAsync("WsRooms edge host", ex.Failures);
}
