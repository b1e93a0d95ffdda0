using System.Net.WebSockets;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

// Sending: runs on the thread pool only while frames wait, or to send the close frame.
internal sealed partial class EdgeConnection
{
    void IThreadPoolWorkItem.Execute() => _ = SendQueuedAsync();

    private async Task SendQueuedAsync()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> frame;
                lock (_gate)
                {
                    // Do not make a slow consumer wait through its backlog before it hears why it is dropped.
                    var dropBacklog = _closing != 0 && _closeStatus == CloseCodes.SlowConsumer;
                    if (_queue.Count == 0 || dropBacklog)
                    {
                        if (!_closeReady)
                        {
                            // Nothing to send now: the next TrySend, or BeginClose, starts the sender again.
                            _sendState = SendState.Idle;
                            return;
                        }

                        _queue.Clear();
                        break;
                    }

                    frame = _queue.Dequeue();
                    if (Session is { QueueAllowance: > 0 } session)
                    {
                        session.QueueAllowance--;
                    }
                }

                await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                Metrics?.FrameOut(frame.Length);
            }

            // The connection is closing and everything it will send has been sent. Say why, if the socket can still carry it.
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout);
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            BeginClose(CloseCodes.InternalError, "connection lost", suspends: true);
        }
        catch (Exception e)
        {
            // Not a socket ending we know. Nobody awaits this sender, so it is logged here, and the connection
            // still ends rather than waiting for a close frame that will never be sent.
            Log.SendFailed(_logger, Id, e);
            BeginClose(CloseCodes.InternalError, "connection lost");
        }

        bool closeReady;
        lock (_gate)
        {
            _sendState = SendState.Ended;
            closeReady = _closeReady;
        }

        // When BeginClose (on another thread) has not finished yet, it completes this itself.
        if (closeReady)
        {
            _sendEnded!.TrySetResult();
        }
    }

    private enum SendState
    {
        /// <summary>
        /// Before <see cref="RunAsync"/>: frames wait. The endpoint queues root's join_ack before it registers the
        /// connection with the cluster, and the client must not hear it before the cluster knows the connection.
        /// </summary>
        Held,

        /// <summary>Nothing waits to be sent and no sender runs.</summary>
        Idle,

        /// <summary>A sender is queued or running; it takes every frame queued meanwhile.</summary>
        Running,

        /// <summary>The close frame was sent, or the socket failed: nothing more will be sent.</summary>
        Ended,
    }
}
