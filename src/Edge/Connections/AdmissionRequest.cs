using Microsoft.AspNetCore.Http;

namespace WsRooms.Edge.Connections;

/// <summary>What <see cref="ConnectionAdmission.Check"/> reads from a request, so that it needs no <see cref="HttpContext"/>.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="IsWebSocketRequest">Whether the request asks for a WebSocket upgrade.</param>
/// <param name="Origin">The Origin header, or empty when there is none.</param>
/// <param name="Host">The Host header: what "same origin" compares with.</param>
internal readonly record struct AdmissionRequest(string Method, bool IsWebSocketRequest, string Origin, string? Host)
{
    public static AdmissionRequest From(HttpContext context) =>
        new(context.Request.Method, context.WebSockets.IsWebSocketRequest, context.Request.Headers.Origin.ToString(), context.Request.Host.Value);
}
