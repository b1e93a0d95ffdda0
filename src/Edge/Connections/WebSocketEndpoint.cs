using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Delivery;
using WsRooms.Edge.Dispatch;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// <c>GET /ws</c>: the checks before the upgrade (PROTOCOL.md, "Transport"), then one connection's whole life.
/// </summary>
internal sealed partial class WebSocketEndpoint(
    IGrainFactory grains,
    EdgeIdentity identity,
    ConnectionRegistry registry,
    FrameDispatcher dispatcher,
    EdgeReadiness readiness,
    WsRoomsAuthorize authorize,
    IOptions<WsRoomsEdgeOptions> options,
    ILoggerFactory loggerFactory)
{
    private readonly WsRoomsEdgeOptions _options = options.Value;
    private readonly ILogger _logger = loggerFactory.CreateLogger("WsRooms.Edge.Connection");

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method))
        {
            context.Response.Headers.Allow = "GET";
            await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, "Only GET opens a WebSocket.").ConfigureAwait(false);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Expected a WebSocket upgrade request.").ConfigureAwait(false);
            return;
        }

        if (!readiness.IsReady)
        {
            context.Response.Headers.RetryAfter = "1";
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "This edge host is not accepting connections.").ConfigureAwait(false);
            return;
        }

        if (!IsOriginAllowed(request, _options.AllowedOrigins))
        {
            Log.OriginRefused(_logger, request.Headers.Origin.ToString());
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Origin not allowed.").ConfigureAwait(false);
            return;
        }

        var authorization = await authorize(context).ConfigureAwait(false);
        if (!authorization.Succeeded)
        {
            Log.Unauthorized(_logger, authorization.Failure ?? "");
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized.").ConfigureAwait(false);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout,
        }).ConfigureAwait(false);

        // A canonical UUID, like the seed's: unique across the cluster without asking anyone.
        var connection = new EdgeConnection(Guid.NewGuid().ToString(), authorization.Claims, socket, _options, registry, dispatcher, grains, _logger);

        if (!_options.RootPresence)
        {
            // Queued before the connection is visible to any fan-out, so it is always the first frame.
            await FrameDispatcher.SendRootJoinAck(connection).ConfigureAwait(false);
        }

        registry.Add(connection);
        try
        {
            var grain = grains.GetConnection(connection.Id);
            await grain.OpenAsync(identity.Id, authorization.Claims).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
            if (_options.RootPresence)
            {
                await grain.JoinAsync(EventNames.RootRoom).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Log.OpenFailed(_logger, connection.Id, e);
            connection.BeginClose(CloseCodes.InternalError, "the cluster is unavailable");
        }

        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Same origin by default, a configured list, or <c>*</c>. A request with no Origin is not from a browser,
    /// so cross-site WebSocket hijacking does not apply to it.
    /// </summary>
    internal static bool IsOriginAllowed(HttpRequest request, IReadOnlyList<string> allowed)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (allowed.Count == 0)
        {
            return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
                && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
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

    private static Task RefuseAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsync(text);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "WebSocket refused: origin {Origin} is not allowed")]
        public static partial void OriginRefused(ILogger logger, string origin);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "WebSocket refused: unauthorized ({Failure})")]
        public static partial void Unauthorized(ILogger logger, string failure);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Connection {ConnectionId} could not be registered with the cluster")]
        public static partial void OpenFailed(ILogger logger, string connectionId, Exception exception);
    }
}
