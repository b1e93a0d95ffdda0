using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using WsRooms.Delivery;
using WsRooms.Edge;
using WsRooms.EdgeHost;
using WsRooms.Hosting;

// The default edge host: the reusable edge (src/Edge) plus one sample handler and the try-it page.
// A team's own host is this file with its own handlers and authorization hook.
var builder = WebApplication.CreateBuilder(args);

var cluster = EdgeClusterOptions.Load(builder.Configuration, out var errors);
if (cluster is null)
{
    await Console.Error.WriteLineAsync("WsRooms edge host: invalid configuration:");
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync("  " + error);
    }

    return 2;
}

// The Orleans Dashboard, an option (WsRooms:Dashboard:Enabled, on the silos too): its UI at /dashboard.
var dashboard = builder.Configuration.GetValue<bool>("WsRooms:Dashboard:Enabled");

builder.UseOrleansClient(client =>
{
    if (dashboard)
    {
        client.AddDashboard();
    }

    if (cluster.Clustering == ClusteringProvider.AzureStorage)
    {
        // The gateways are whatever silos the membership table lists as active.
        client.UseAzureStorageClustering(o => o.TableServiceClient = cluster.Azure.CreateTableServiceClient());
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        // Silos that come back after a full restart are found within this, not Orleans' default minute.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
    }
    else
    {
        client.UseLocalhostClustering(cluster.GatewayPorts, cluster.ServiceId, cluster.ClusterId);
    }

    if (cluster.Streams == StreamsProvider.AzureQueue)
    {
        // Same provider name and queues as the silos; the edge only subscribes (the silos read the queues).
        client.AddAzureQueueStreams(EdgeStreams.ProviderName, (OptionsBuilder<AzureQueueOptions> queues) => queues.Configure(q =>
        {
            q.QueueServiceClient = cluster.Azure.CreateQueueServiceClient();
            q.QueueNames = [.. ProviderSettings.QueueNames(cluster.ServiceId, cluster.QueueCount)];
        }));
    }
    else
    {
        client.AddWsRoomsStreams();
    }
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
    await Console.Error.WriteLineAsync("WsRooms edge host: invalid configuration:");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  " + failure);
    }

    return 2;
}
