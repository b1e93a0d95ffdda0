using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using WsRooms.Edge.Observability;

namespace WsRooms.Edge;

/// <summary>Maps the edge host's health endpoints.</summary>
public static class WsRoomsHealthEndpointExtensions
{
    /// <summary>
    /// <c>GET /healthz</c>: 200 while the process serves HTTP (liveness). <c>GET /readyz</c>: 200 when the edge takes
    /// WebSocket connections (stream subscribed, not draining, cluster connected), else 503 (readiness).
    /// </summary>
    public static IEndpointRouteBuilder MapWsRoomsHealthChecks(this IEndpointRouteBuilder endpoints, string livePath = "/healthz", string readyPath = "/readyz")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapHealthChecks(livePath, new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks(readyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(EdgeReadyHealthCheck.Tag) });
        return endpoints;
    }
}
