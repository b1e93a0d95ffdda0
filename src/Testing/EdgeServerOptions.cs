using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WsRooms.Edge;

namespace WsRooms.Testing;

/// <summary>
/// How <see cref="EdgeServer.StartAsync"/> builds an edge host: which cluster it joins and what the test changes in
/// it. The hooks are multicast delegates: add to them with <c>+=</c> so earlier hooks (a cluster's own) still run.
/// </summary>
public sealed class EdgeServerOptions
{
    /// <summary>The cluster id of the silos to connect to.</summary>
    public string ClusterId { get; set; } = "";

    /// <summary>The service id of the silos to connect to.</summary>
    public string ServiceId { get; set; } = "";

    /// <summary>The silos' gateway ports on 127.0.0.1.</summary>
    public IReadOnlyList<int> GatewayPorts { get; set; } = [];

    /// <summary>The path WebSocket clients connect to. Default <c>/ws</c>, as the edge host app serves it.</summary>
    public string Path { get; set; } = "/ws";

    /// <summary>The least severe log level written to the console. Default Warning: a test's output stays readable.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Changes the edge's options (<c>WsRooms</c>) before they are validated.</summary>
    public Action<WsRoomsEdgeOptions>? ConfigureOptions { get; set; }

    /// <summary>Adds handlers, an authorizer or anything else to the edge (<see cref="WsRoomsBuilder"/>).</summary>
    public Action<WsRoomsBuilder>? ConfigureEdge { get; set; }

    /// <summary>Changes the web host before it is built: Kestrel limits, services, configuration.</summary>
    public Action<WebApplicationBuilder>? ConfigureHost { get; set; }

    /// <summary>Changes the edge's Orleans client.</summary>
    public Action<IClientBuilder>? ConfigureClient { get; set; }

    /// <summary>Maps more endpoints or middleware after the WebSocket endpoint and the health checks.</summary>
    public Action<WebApplication>? ConfigureApp { get; set; }
}
