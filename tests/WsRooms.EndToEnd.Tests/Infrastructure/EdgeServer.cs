using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsRooms.Edge;
using WsRooms.Edge.Connections;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real edge host in the test process: Kestrel on a free loopback port, an Orleans client connected to the test
/// cluster's gateways over TCP, and the same AddWsRooms/MapWsRooms a team's own host uses.
/// </summary>
public sealed class EdgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeServer(WebApplication app, Uri httpUri)
    {
        _app = app;
        HttpUri = httpUri;
        WebSocketUri = new Uri($"ws://{httpUri.Authority}/ws");
    }

    public Uri HttpUri { get; }

    public Uri WebSocketUri { get; }

    public IServiceProvider Services => _app.Services;

    public string EdgeId => Services.GetRequiredService<EdgeIdentity>().Id;

    internal int ConnectionCount => Services.GetRequiredService<ConnectionRegistry>().Count;

    internal bool HasConnection(string connectionId) => Services.GetRequiredService<ConnectionRegistry>().TryGet(connectionId, out _);

    public static async Task<EdgeServer> StartAsync(
        string clusterId,
        string serviceId,
        int[] gatewayPorts,
        Action<WsRoomsBuilder>? configureEdge = null,
        Action<WsRoomsEdgeOptions>? configureOptions = null,
        Action<WebApplication>? configureApp = null,
        Action<IClientBuilder>? configureClient = null,
        Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPorts, serviceId, clusterId);
            client.AddWsRoomsStreams();
            configureClient?.Invoke(client);
        });

        configureBuilder?.Invoke(builder);
        var edge = builder.Services.AddWsRooms(configureOptions);
        edge.AddHandler("echo", static (connection, message, _) =>
        {
            connection.TrySend(message with { Event = "echoed", Dst = connection.Id, Src = "" });
            return ValueTask.CompletedTask;
        });
        configureEdge?.Invoke(edge);

        var app = builder.Build();
        app.MapWsRooms("/ws");
        app.MapWsRoomsHealthChecks();
        configureApp?.Invoke(app);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EdgeServer(app, new Uri(address));
    }

    public Task<TestClient> ConnectAsync(bool read = true, Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null) =>
        TestClient.ConnectAsync(WebSocketUri, read, configure);

    /// <summary>Stops the edge host gracefully (drain: every client gets 1001).</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
