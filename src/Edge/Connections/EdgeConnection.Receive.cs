using System.Buffers;
using System.Net.WebSockets;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

// Receiving: socket → size and rate checks → parse → dispatch, one frame at a time so frames keep their order.
internal sealed partial class EdgeConnection
{
    /// <summary>
    /// Runs the connection until it has ended and left every room. The receive loop runs here rather than as a task
    /// of its own, so that an idle connection is this one suspended method waiting on a zero-byte read.
    /// </summary>
    /// <param name="requestAborted">
    /// The request's abort token: it fires when the socket is lost or aborted (WebSocket.Abort aborts the request),
    /// and it is what handlers are given, so the connection keeps no token source of its own.
    /// </param>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        _requestAborted = requestAborted;
        bool startSending;
        lock (_gate)
        {
            // What was queued (or a close begun) before the connection ran goes out now.
            startSending = _queue.Count > 0 || _closeReady;
            _sendState = startSending ? SendState.Running : SendState.Idle;
        }

        if (startSending)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        var maxMessage = _options.Limits.MaxMessageBytes;
        try
        {
            while (true)
            {
                // Wait for data without holding a buffer, so an idle connection costs no buffer memory. No token:
                // a token would hold a registration for as long as the connection is idle, and Abort (the close
                // timer, a lost socket) ends this read anyway by aborting the request under it.
                var peek = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (peek.EndOfMessage)
                {
                    // The whole message was empty: already consumed by the peek.
                    if (peek.MessageType == WebSocketMessageType.Text)
                    {
                        BeginClose(CloseCodes.TextMessage, "text messages are not part of the protocol; send binary frames");
                    }
                    else if (!IsClosing)
                    {
                        await HandleFrameAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                    }

                    continue;
                }

                // Rented only now that data has arrived, and returned before the next wait: one byte more than the
                // limit, so that "over the limit" is seen before anything more is buffered.
                var buffer = ArrayPool<byte>.Shared.Rent(maxMessage + 1);
                try
                {
                    var (kind, length) = await ReadMessageAsync(buffer, maxMessage).ConfigureAwait(false);
                    if (kind == ReadKind.Close)
                    {
                        break;
                    }

                    switch (kind)
                    {
                        case ReadKind.Text:
                            BeginClose(CloseCodes.TextMessage, "text messages are not part of the protocol; send binary frames");
                            continue;
                        case ReadKind.TooBig:
                            BeginClose(CloseCodes.MessageTooBig, FrameError.MessageTooLarge.ToReason());
                            continue;
                    }

                    if (IsClosing)
                    {
                        // Closing: read on until the peer's close arrives, but act on nothing.
                        continue;
                    }

                    await HandleFrameAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer vanished, the keepalive timed out, or we aborted: all normal endings, which suspend a session.
            BeginClose(CloseCodes.InternalError, "connection lost", suspends: true);
        }
        finally
        {
            // However the loop ended, the connection ends, once. A no-op when something above began it.
            BeginClose(CloseCodes.Normal, "");
        }

        // Wait for the close frame to be sent (or the socket to fail); the close timer, started by BeginClose,
        // aborts the socket if that takes longer than CloseTimeout.
        Task sendEnded;
        lock (_gate)
        {
            sendEnded = _sendEnded!.Task;
        }

        await sendEnded.ConfigureAwait(false);
        Timer? closeTimer;
        lock (_gate)
        {
            closeTimer = _closeTimer;
        }

        await (closeTimer?.DisposeAsync() ?? ValueTask.CompletedTask).ConfigureAwait(false);
        await _cleanup.ConfigureAwait(false);
        Log.Closed(_logger, Id, (int)_closeStatus, _closeReason);
        TaskCompletionSource? ended;
        lock (_gate)
        {
            _hasEnded = true;
            ended = _ended;
        }

        ended?.TrySetResult();
    }

    private async ValueTask<(ReadKind Kind, int Length)> ReadMessageAsync(byte[] buffer, int maxMessage)
    {
        var length = 0;
        var tooBig = false;
        while (true)
        {
            // Past the limit the rest of the message is read into the same spare space and thrown away.
            var target = tooBig ? buffer.AsMemory() : buffer.AsMemory(length);
            var result = await _socket.ReceiveAsync(target, CancellationToken.None).ConfigureAwait(false);
            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    return (ReadKind.Close, 0);
                case WebSocketMessageType.Text:
                    if (result.EndOfMessage)
                    {
                        return (ReadKind.Text, 0);
                    }

                    tooBig = true; // not really, but its bytes are discarded the same way
                    continue;
            }

            if (!tooBig)
            {
                length += result.Count;
                tooBig = length > maxMessage;
            }

            if (result.EndOfMessage)
            {
                return tooBig ? (ReadKind.TooBig, 0) : (ReadKind.Binary, length);
            }
        }
    }

    private async Task HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        Metrics?.FrameIn(frame.Length);
        if (RateLimiter is { } limiter && !limiter.TryTake(frame.Length))
        {
            // Faster than WsRooms:Quotas allows: the connection goes with 1008 (docs/protocol.md), nobody else notices.
            Log.RateLimited(_logger, Id);
            Metrics?.Dropped(DropReasons.RateLimited);
            BeginClose(CloseCodes.PolicyViolation, "rate limit exceeded");
            return;
        }

        Message? message;
        byte[] mid = [];
        var error = Session is null
            ? Message.TryParse(frame.Span, _options.Limits, out message)
            : Message.TryParse(frame.Span, _options.Limits, ProtocolVersion.V2, out message, out mid);
        if (error == FrameError.None && mid.Length > 0)
        {
            error = MessageIds.Check(mid);
        }

        if (error != FrameError.None)
        {
            Log.MalformedFrame(_logger, Id, error);
            BeginClose(error.ToCloseStatus(), error.ToReason());
            return;
        }

        try
        {
            await _dispatcher.DispatchAsync(this, message!, mid, _requestAborted).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_requestAborted.IsCancellationRequested)
        {
            // At most once: a frame the cluster could not take now is dropped, the connection lives on.
            Log.DispatchFailed(_logger, Id, message!.Room, message.Event, e);
            Metrics?.Dropped(DropReasons.DispatchFailed);
        }
    }

    private enum ReadKind
    {
        Binary,
        Text,
        TooBig,
        Close,
    }
}
