using WsRooms.Edge;
using WsRooms.EdgeHost;

// The default edge host: the reusable edge (src/Edge) plus one sample handler and the try-it page.
// A team's own host is this file with its own handlers and authorization hook.
var builder = WebApplication.CreateBuilder(args);

var cluster = builder.Configuration.GetSection(EdgeClusterOptions.SectionName).Get<EdgeClusterOptions>() ?? new EdgeClusterOptions();
cluster.Validate();

builder.UseOrleansClient(client =>
{
    client.UseLocalhostClustering(cluster.GatewayPorts, cluster.ServiceId, cluster.ClusterId);
    client.AddWsRoomsStreams();
});

builder.Services
    .AddWsRooms()
    .AddHandler(PingHandler.EventName, PingHandler.HandleAsync);

var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles();
app.MapWsRooms("/ws");
app.MapGet("/healthz", () => Results.Ok("ok"));

app.Run();
