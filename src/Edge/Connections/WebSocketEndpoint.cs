using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Delivery;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;
using WsRooms.Edge.Sessions;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// <c>GET /ws</c>: the checks before the upgrade (<see cref="ConnectionAdmission"/>), then one connection's whole
/// life. Both paths to the WebSocket, ASP.NET Core's and <see cref="Transport.DirectUpgradeMiddleware"/>'s, run this.
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

    /// <remarks>
    /// One async method for the whole connection, and the connection's receive loop awaited in it: an idle
    /// connection is this method and <see cref="EdgeConnection.RunAsync"/> suspended, nothing more.
    /// </remarks>
    public async Task HandleAsync(HttpContext context)
    {
        var admission = ConnectionAdmission.Check(AdmissionRequest.From(context), _options, readiness.IsReady);
        if (admission is null)
        {
            var authorization = await authorize(context).ConfigureAwait(false);
            admission = ConnectionAdmission.Admit(authorization, context.Connection.RemoteIpAddress?.ToString(), _options, connectionLimiter, identity);
        }

        Record(admission);
        if (admission.Kind == AdmissionKind.Refused)
        {
            await RefuseAsync(context, admission).ConfigureAwait(false);
            return;
        }

        using var connectionSlot = admission.Slot;
        var version = ProtocolNegotiation.Select(context.WebSockets.WebSocketRequestedProtocols);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = ProtocolNegotiation.SubProtocolOf(version),
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout,
        }).ConfigureAwait(false);

        if (admission.Kind == AdmissionKind.Closed)
        {
            await RefuseOpenSocketAsync(socket, admission.Reason, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // A resume socket (v2 only: on v1 the parameter means nothing) says which session it is in its first frame.
        ResumeFrame? resume = null;
        if (version == ProtocolVersion.V2 && ProtocolNegotiation.IsResume(context.Request.Query[ProtocolNegotiation.ResumeParameter]))
        {
            resume = await ResumeHandshake.ReadAsync(socket, _options, context.RequestAborted).ConfigureAwait(false);
            if (resume is null)
            {
                Log.ResumeFrameMissing(_logger);
                return; // closed (1008 or the frame's own code), or the client went
            }
        }

        using var rateLimiter = _options.Quotas.HasRateLimits ? new ConnectionRateLimiter(_options.Quotas, _options.Limits.MaxMessageBytes, replenisher) : null;
        var (freshId, claims) = (admission.ConnectionId, admission.Claims);
        admission = null; // this method lives as long as the socket: keep the connection, not what admitted it
        EdgeConnection NewConnection(string id) => new(id, claims, socket, _options, registry, dispatcher, grains, _logger)
        {
            Metrics = metrics,
            RateLimiter = rateLimiter,
            EdgeId = identity.Id,
            Session = version == ProtocolVersion.V2 ? new SessionLink() : null,
        };

        if (resume is not null)
        {
            var resumed = await TryResumeAsync(NewConnection, resume, claims).ConfigureAwait(false);
            if (resumed is not null)
            {
                metrics.ConnectionOpened();
                await resumed.RunAsync(context.RequestAborted).ConfigureAwait(false);
                metrics.ConnectionClosed(resumed.CloseStatus);
                return;
            }
        }

        var connection = NewConnection(freshId);
        if (!_options.RootPresence)
        {
            // Queued before the connection is visible to any fan-out, so it is always the first frame.
            await FrameDispatcher.SendRootJoinAck(connection).ConfigureAwait(false);
        }

        if (connection.IsV2 && !await connection.OpenSessionAsync().ConfigureAwait(false))
        {
            // Without its session a v2 connection cannot keep its promises: it goes, and the client tries again.
            connection.BeginClose(CloseCodes.InternalError, "the cluster is unavailable");
            metrics.ConnectionOpened();
            await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
            metrics.ConnectionClosed(connection.CloseStatus);
            return;
        }

        if (resume is not null)
        {
            // A resume that failed carries on as a fresh connect, and says so after the session frame.
            connection.TrySend(SessionFrames.NotResumed());
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

    /// <summary>
    /// Resumes the session <paramref name="resume"/> names on a socket of its own id: registered as the session's
    /// resuming socket here first (the resume's moves and replay, which the grains post meanwhile, route to it), then
    /// <see cref="IConnectionGrain.ResumeAsync"/>. Returns the connection, promoted and with join_ack and
    /// wsrooms.resumed ahead of its replay, or null when the resume was refused: the caller connects afresh.
    /// </summary>
    private async Task<EdgeConnection?> TryResumeAsync(Func<string, EdgeConnection> newConnection, ResumeFrame resume, IReadOnlyDictionary<string, string> claims)
    {
        if (!SessionTokens.TryGetSessionId(resume.Token, out var sessionId))
        {
            Log.ResumeRefused(_logger, "", ResumeOutcome.UnknownToken);
            return null;
        }

        var connection = newConnection(sessionId);
        if (!registry.TryAddResuming(connection))
        {
            // Another resume of the same session is under way here; the token is single-use, so at most one succeeds.
            Log.ResumeRefused(_logger, sessionId, ResumeOutcome.UnknownToken);
            return null;
        }

        SessionResume result;
        try
        {
            result = await grains.ResumeSessionAsync(new SessionResumeRequest(resume.Token, connection.Identity, identity.Id, resume.Rooms, resume.DirectAfter))
                .WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.ResumeFailed(_logger, sessionId, e);
            result = SessionResume.Refused(ResumeOutcome.UnknownToken);

            // The resume may have taken effect all the same, attaching the session to this edge host with no socket:
            // as for a socket lost here, the session is suspended, so it is resumed or ends after its grace period.
            _ = grains.GetConnection(sessionId).EdgeLostAsync(identity.Id).ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        if (result.Outcome != ResumeOutcome.Resumed)
        {
            registry.Remove(connection);
            Log.ResumeRefused(_logger, sessionId, result.Outcome);
            return null;
        }

        connection.AttachResumed(result);
        registry.Promote(connection, supersededToCome: result.PreviousSocketOpen && result.PreviousEdgeId == identity.Id);
        return connection;
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

    private void Record(Admission admission)
    {
        switch (admission.Rejection)
        {
            case DropReasons.Origin:
                Log.OriginRefused(_logger, admission.Detail);
                break;
            case DropReasons.Unauthorized:
                Log.Unauthorized(_logger, admission.Detail);
                break;
            case DropReasons.ConnectionLimit:
                Log.ConnectionLimited(_logger, admission.Detail);
                break;
        }

        if (admission.Rejection is { } rejection)
        {
            metrics.Rejected(rejection);
        }
    }

    private static Task RefuseAsync(HttpContext context, Admission refusal)
    {
        var response = context.Response;
        response.StatusCode = refusal.StatusCode;
        if (refusal.Allow is { } allow)
        {
            response.Headers.Allow = allow;
        }

        if (refusal.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter;
        }

        return response.WriteAsync(refusal.Reason);
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

        [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "A resume socket did not begin with wsrooms.resume in time; closed")]
        public static partial void ResumeFrameMissing(ILogger logger);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Resume of session '{SessionId}' refused ({Outcome}); the socket connects afresh")]
        public static partial void ResumeRefused(ILogger logger, string sessionId, ResumeOutcome outcome);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Resume of session {SessionId} failed in the cluster; the socket connects afresh")]
        public static partial void ResumeFailed(ILogger logger, string sessionId, Exception exception);
    }
}
