using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Delivery;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
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
    ILoggerFactory loggerFactory,
    EdgeMetrics metrics,
    ConnectionLimiter connectionLimiter,
    RateLimitReplenisher replenisher)
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
            metrics.Rejected(DropReasons.NotReady);
            context.Response.Headers.RetryAfter = "1";
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "This edge host is not accepting connections.").ConfigureAwait(false);
            return;
        }

        if (!IsOriginAllowed(request, _options.AllowedOrigins))
        {
            Log.OriginRefused(_logger, request.Headers.Origin.ToString());
            metrics.Rejected(DropReasons.Origin);
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Origin not allowed.").ConfigureAwait(false);
            return;
        }

        var authorization = await authorize(context).ConfigureAwait(false);
        if (!authorization.Succeeded)
        {
            Log.Unauthorized(_logger, authorization.Failure ?? "");
            metrics.Rejected(DropReasons.Unauthorized);
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized.").ConfigureAwait(false);
            return;
        }

        // Connections per edge, user and IP (WsRooms:Quotas): over a limit the socket is accepted only to be closed
        // with 1008, so that a browser, which never sees an upgrade's HTTP status, learns why.
        var slot = default(ConnectionLimiter.Slot);
        string? refusal = null;
        if (connectionLimiter.Enabled
            && !connectionLimiter.TryAcquire(
                authorization.Claims.GetValueOrDefault(_options.Quotas.UserClaim),
                context.Connection.RemoteIpAddress?.ToString(),
                out slot,
                out var limit))
        {
            refusal = limit;
            Log.ConnectionLimited(_logger, limit);
            metrics.Rejected(DropReasons.ConnectionLimit);
        }

        using var connectionSlot = slot;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout,
        }).ConfigureAwait(false);

        if (refusal is not null)
        {
            await RefuseOpenSocketAsync(socket, refusal, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // A canonical UUID, like the seed's: unique across the cluster without asking anyone, and naming this edge
        // host to the cluster (ConnectionIds), which is what lets connecting open no grain.
        using var rateLimiter = _options.Quotas.HasRateLimits ? new ConnectionRateLimiter(_options.Quotas, _options.Limits.MaxMessageBytes, replenisher) : null;
        var connection = new EdgeConnection(identity.NewConnectionId(), authorization.Claims, socket, _options, registry, dispatcher, grains, _logger)
        {
            Metrics = metrics,
            RateLimiter = rateLimiter,
            EdgeId = identity.Id,
        };

        if (!_options.RootPresence)
        {
            // Queued before the connection is visible to any fan-out, so it is always the first frame.
            await FrameDispatcher.SendRootJoinAck(connection).ConfigureAwait(false);
        }

        registry.Add(connection);
        metrics.ConnectionOpened();
        if (_options.RootPresence)
        {
            // Presence on root is a join of root, so the cluster hears of every connection at once.
            try
            {
                await connection.EnsureRegisteredAsync().WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
                await grains.GetConnection(connection.Id).JoinAsync(EventNames.RootRoom).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.OpenFailed(_logger, connection.Id, e);
                connection.BeginClose(CloseCodes.InternalError, "the cluster is unavailable");
            }
        }

        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        metrics.ConnectionClosed(connection.CloseStatus);
    }

    /// <summary>Closes a socket that was accepted only to say why it may not stay: 1008 and the reason, then it goes.</summary>
    private async Task RefuseOpenSocketAsync(System.Net.WebSockets.WebSocket socket, string reason, CancellationToken requestAborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        timeout.CancelAfter(_options.CloseTimeout);
        try
        {
            await socket.CloseOutputAsync(CloseCodes.PolicyViolation, reason, timeout.Token).ConfigureAwait(false);
            // Wait (bounded) for the client's close, so the close frame is not lost to a reset.
            var buffer = new byte[256];
            while (socket.State is System.Net.WebSockets.WebSocketState.CloseSent)
            {
                await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            socket.Abort();
        }
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

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "WebSocket closed with 1008 at once: {Refusal}")]
        public static partial void ConnectionLimited(ILogger logger, string refusal);
    }
}
