using System.Net.WebSockets;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

// The one ending of a connection: begun once, whoever asks first, and finished by RunAsync.
internal sealed partial class EdgeConnection
{
    /// <summary>True once the connection has started to end; nothing more is sent to it.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>The close code this connection ended (or is ending) with.</summary>
    public WebSocketCloseStatus CloseStatus => _closeStatus;

    /// <summary>Completes when the connection has ended and left every room.</summary>
    public Task Ended
    {
        get
        {
            // Made on first use (a drain at shutdown asks every connection): a live connection holds none.
            lock (_gate)
            {
                return _hasEnded ? Task.CompletedTask : (_ended ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>
    /// Starts the one ending of this connection: no more sends, leave the local index and every room now (the
    /// others get member_left at once, not after the handshake), then close the socket with <paramref name="status"/>.
    /// Only the first call counts.
    /// </summary>
    /// <param name="status">The close code.</param>
    /// <param name="reason">The close frame's reason text.</param>
    /// <param name="suspends">
    /// On a v2 connection, whether this ending suspends the session rather than ending it (docs/protocol.md,
    /// "Suspension"): true for an ending without a closing handshake and for the server's own 1001, 1012, 1013 and
    /// 4001. Carried apart from the code because 1011 covers both a lost socket and a real error. Ignored on v1.
    /// </param>
    public void BeginClose(WebSocketCloseStatus status, string reason, bool suspends = false)
    {
        lock (_gate)
        {
            if (_closing != 0)
            {
                return;
            }

            Volatile.Write(ref _closing, 1);
            _closeStatus = status;
            _closeReason = reason;
            if (Session is { } session)
            {
                session.Suspends = suspends;
            }

            _sendEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // The bound on the close handshake, from now: a peer that neither reads our frames nor answers the close
            // is aborted, which also ends a receive or a send that waits on it.
            _closeTimer = new Timer(static state => ((EdgeConnection)state!).Abort(), this, _options.CloseTimeout, Timeout.InfiniteTimeSpan);
        }

        _registry.Remove(this);
        _cleanup = LeaveClusterAsync();

        // Only now may the sender send the close frame: RunAsync waits for it and then for _cleanup, set just above.
        bool startSending, sendingEnded;
        lock (_gate)
        {
            _closeReady = true;
            startSending = _sendState == SendState.Idle;
            if (startSending)
            {
                _sendState = SendState.Running;
            }

            sendingEnded = _sendState == SendState.Ended;
        }

        if (startSending)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else if (sendingEnded)
        {
            _sendEnded.TrySetResult();
        }
    }

    private void Abort()
    {
        BeginClose(CloseCodes.InternalError, "aborted", suspends: true);
        // Aborts the request under the socket too (ASP.NET Core's WebSocket middleware does): a pending receive or
        // send ends at once, and the request's abort token, which handlers hold, fires.
        _socket.Abort();
    }

    private async Task LeaveClusterAsync()
    {
        Task? leave = null;
        lock (_gate)
        {
            // _closing is set, so nothing registers it from here on: a connection the cluster never heard of has
            // nothing to leave, and closing it costs no grain call.
            if (!_registered)
            {
                return;
            }

            // A session is told which socket ended (its attachment), so the end of a socket it has left changes nothing.
            if (Session is { IsAttached: true } session)
            {
                leave = session.Suspends ? Grain.SuspendAsync(session.Attachment) : Grain.CloseSessionAsync(session.Attachment);
            }
        }

        try
        {
            await (leave ?? Grain.CloseAsync()).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The cluster could not be told now; the connection's rooms are cleaned up when the edge's lease
            // runs out (Lease/EdgeLeaseService.cs). Nothing the client can do about it.
            Log.LeaveFailed(_logger, Id, e);
        }
    }
}
