using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsRooms.Edge;

namespace WsRooms.Testing;

/// <summary>
/// A real edge host in the test process: Kestrel on a free loopback port, an Orleans client connected to the
/// cluster's gateways over TCP, and the same <c>AddWsRooms</c> and <c>MapWsRooms</c> a team's own host uses.
/// </summary>
public sealed class EdgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeServer(WebApplication app, Uri httpUri, string path)
    {
        _app = app;
        HttpUri = httpUri;
        WebSocketUri = new Uri($"ws://{httpUri.Authority}{path}");
    }

    /// <summary>The host's HTTP address (http://127.0.0.1:port/), for the health checks and other endpoints.</summary>
    public Uri HttpUri { get; }

    /// <summary>Where WebSocket clients connect.</summary>
    public Uri WebSocketUri { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The id this edge host's deliveries are addressed to.</summary>
    public string EdgeId => Services.GetRequiredService<EdgeIdentity>().Id;

    /// <summary>Builds and starts an edge host as <paramref name="options"/> say, and returns once it listens.</summary>
    public static async Task<EdgeServer> StartAsync(EdgeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.GatewayPorts.Count == 0)
        {
            throw new ArgumentException("EdgeServerOptions.GatewayPorts must name at least one silo gateway.", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(options.MinimumLogLevel);
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering([.. options.GatewayPorts], options.ServiceId, options.ClusterId);
            client.AddWsRoomsStreams();
            options.ConfigureClient?.Invoke(client);
        });

        options.ConfigureHost?.Invoke(builder);
        var edge = builder.Services.AddWsRooms(options.ConfigureOptions);
        options.ConfigureEdge?.Invoke(edge);

        var app = builder.Build();
        app.MapWsRooms(options.Path);
        app.MapWsRoomsHealthChecks();
        options.ConfigureApp?.Invoke(app);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EdgeServer(app, new Uri(address), options.Path);
    }

    /// <summary>
    /// Connects a <see cref="TestClient"/>; unless <paramref name="read"/> is false it waits for root's join_ack
    /// first (false: a slow consumer that reads nothing until told to).
    /// </summary>
    public Task<TestClient> ConnectAsync(bool read = true, Action<ClientWebSocketOptions>? configure = null) =>
        TestClient.ConnectAsync(WebSocketUri, read, configure);

    /// <summary>Connects a v2 <see cref="TestClient"/> as a fresh session: it waits for root's join_ack and <c>wsrooms.session</c>.</summary>
    public Task<TestClient> ConnectV2Async(Action<ClientWebSocketOptions>? configure = null) =>
        TestClient.ConnectV2Async(WebSocketUri, configure);

    /// <summary>Resumes a v2 session on this edge host with <paramref name="payload"/> (see <see cref="TestClient.ResumeAsync"/>).</summary>
    public Task<TestClient> ResumeAsync(ResumePayload payload, Action<ClientWebSocketOptions>? configure = null) =>
        TestClient.ResumeAsync(WebSocketUri, payload, configure);

    /// <summary>Stops the edge host gracefully: it drains, and every client gets 1001.</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <summary>Stops the edge host, if it still runs, and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
