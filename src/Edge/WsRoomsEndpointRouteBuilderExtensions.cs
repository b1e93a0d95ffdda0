using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Edge.Connections;

namespace WsRooms.Edge;

/// <summary>Maps the WsRooms WebSocket endpoint.</summary>
public static class WsRoomsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the endpoint at <paramref name="pattern"/> for every method, so that a wrong method gets 405 from us
    /// rather than a bare 404. The WebSockets middleware runs only on this branch.
    /// </summary>
    public static IEndpointConventionBuilder MapWsRooms(this IEndpointRouteBuilder endpoints, string pattern = "/ws")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var endpoint = endpoints.ServiceProvider.GetRequiredService<WebSocketEndpoint>();
        endpoints.ServiceProvider.GetRequiredService<Transport.WsRoomsEndpointPath>().Set(pattern); // WsRooms:DirectUpgrade
        var app = endpoints.CreateApplicationBuilder();
        app.UseWebSockets();
        app.Run(endpoint.HandleAsync);
        return endpoints.Map(pattern, app.Build()).WithDisplayName("WsRooms WebSocket");
    }
}
