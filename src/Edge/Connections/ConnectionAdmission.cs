using Microsoft.AspNetCore.Http;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;

namespace WsRooms.Edge.Connections;

/// <summary>
/// The checks before a WebSocket upgrade (docs/protocol.md), in their order: the method, the upgrade
/// itself, readiness, the origin, then the authorization hook's answer and the connection limits. Two steps
/// because the hook runs between them (and only for a request that passed the first): <see cref="Check"/> decides
/// from the request alone, <see cref="Admit"/> from the hook's answer. Both decide only; the caller answers, logs
/// and counts (<see cref="WebSocketEndpoint"/>, on either path to it).
/// </summary>
internal static class ConnectionAdmission
{
    /// <summary>A refusal, or null when the request may go on to the authorization hook.</summary>
    public static Admission? Check(in AdmissionRequest request, WsRoomsEdgeOptions options, bool ready)
    {
        if (!HttpMethods.IsGet(request.Method))
        {
            return Admission.Refuse(StatusCodes.Status405MethodNotAllowed, "Only GET opens a WebSocket.", allow: "GET");
        }

        if (!request.IsWebSocketRequest)
        {
            return Admission.Refuse(StatusCodes.Status400BadRequest, "Expected a WebSocket upgrade request.");
        }

        if (!ready)
        {
            return Admission.Refuse(StatusCodes.Status503ServiceUnavailable, "This edge host is not accepting connections.", DropReasons.NotReady, retryAfter: "1");
        }

        if (!IsOriginAllowed(request.Origin, request.Host, options.AllowedOrigins))
        {
            return Admission.Refuse(StatusCodes.Status403Forbidden, "Origin not allowed.", DropReasons.Origin, request.Origin);
        }

        return null;
    }

    /// <summary>
    /// After the hook: a refusal (401), an upgrade to close at once because a connection limit (per edge, user or IP,
    /// <c>WsRooms:Quotas</c>) is reached, or the admitted request, holding its place in those limits.
    /// </summary>
    public static Admission Admit(AuthorizeResult authorization, string? remoteIp, WsRoomsEdgeOptions options, ConnectionLimiter limiter, EdgeIdentity identity)
    {
        if (!authorization.Succeeded)
        {
            return Admission.Refuse(StatusCodes.Status401Unauthorized, "Unauthorized.", DropReasons.Unauthorized, authorization.Failure ?? "");
        }

        var slot = default(ConnectionLimiter.Slot);
        if (limiter.Enabled
            && !limiter.TryAcquire(authorization.Claims.GetValueOrDefault(options.Quotas.UserClaim), remoteIp, out slot, out var limit))
        {
            return Admission.CloseAtOnce(limit, DropReasons.ConnectionLimit);
        }

        return Admission.Admit(identity.NewConnectionId(), authorization.Claims, slot);
    }

    /// <summary>
    /// Same origin by default, a configured list, or <c>*</c>. A request with no Origin is not from a browser,
    /// so cross-site WebSocket hijacking does not apply to it.
    /// </summary>
    public static bool IsOriginAllowed(string origin, string? host, IReadOnlyList<string> allowed)
    {
        if (origin.Length == 0)
        {
            return true;
        }

        if (allowed.Count == 0)
        {
            return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
                && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var entry in allowed)
        {
            if (entry == "*" || string.Equals(entry.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
