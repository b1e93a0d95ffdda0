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
    public void BeginClose(WebSocketCloseStatus status, string reason)
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
        BeginClose(CloseCodes.InternalError, "aborted");
        // Aborts the request under the socket too (ASP.NET Core's WebSocket middleware does): a pending receive or
        // send ends at once, and the request's abort token, which handlers hold, fires.
        _socket.Abort();
    }

    private async Task LeaveClusterAsync()
    {
        lock (_gate)
        {
            // _closing is set, so nothing registers it from here on: a connection the cluster never heard of has
            // nothing to leave, and closing it costs no grain call.
            if (!_registered)
            {
                return;
            }
        }

        try
        {
            await Grain.CloseAsync().WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The cluster could not be told now; the connection's rooms are cleaned up when the edge's lease
            // runs out (Lease/EdgeLeaseService.cs). Nothing the client can do about it.
            Log.LeaveFailed(_logger, Id, e);
        }
    }
}
