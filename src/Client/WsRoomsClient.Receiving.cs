using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using WsRooms.Protocol;

namespace WsRooms.Client;

public sealed partial class WsRoomsClient
{
    // v2: the last position received in each room (what a resume asks to continue from) and in the direct log.
    private readonly Dictionary<string, long> _positions = new(StringComparer.Ordinal);
    private long _directPosition;

    private readonly record struct ReadResult(int Length, string? Error);

    /// <summary>How one socket ended; <see cref="Resumable"/> when a v2 session should continue on a new one.</summary>
    private readonly record struct SocketEnding(bool Resumable, WebSocketCloseStatus? Status, string? Description, Exception? Failure);

    // Reads one whole WebSocket message into buffer; never past maxBytes.
    private static async ValueTask<ReadResult> ReadMessageAsync(WebSocket socket, byte[] buffer, int maxBytes, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var room = Math.Min(buffer.Length, maxBytes + 1) - length;
            if (room <= 0)
            {
                return new ReadResult(length, "message over the size limit");
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    return new ReadResult(-1, "closed");
                case WebSocketMessageType.Text:
                    return new ReadResult(-1, "text message");
            }

            length += result.Count;
            if (length > maxBytes)
            {
                return new ReadResult(length, "message over the size limit");
            }

            if (result.EndOfMessage)
            {
                return new ReadResult(length, null);
            }
        }
    }

    // The client's whole life: one socket after another while a v2 session resumes, then the ending.
    private async Task RunAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.Limits.MaxMessageBytes + 1);
        var ending = default(SocketEnding);
        var gaveUp = false;
        try
        {
            while (true)
            {
                ending = await ReceiveLoopAsync(_socket, buffer).ConfigureAwait(false);
                _socketUp = false;
                if (!ending.Resumable || _closeRequested || _stopping.IsCancellationRequested ||
                    Protocol != ProtocolVersion.V2 || !_options.Resume || _token.Length == 0)
                {
                    break;
                }

                if (!await ResumeAsync(buffer).ConfigureAwait(false))
                {
                    gaveUp = !_closeRequested && !_stopping.IsCancellationRequested;
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Finish(ending, gaveUp);
        }
    }

    private async Task<SocketEnding> ReceiveLoopAsync(ClientWebSocket socket, byte[] buffer)
    {
        var limits = _options.Limits;
        try
        {
            while (true)
            {
                var read = await ReadMessageAsync(socket, buffer, limits.MaxMessageBytes, _stopping.Token).ConfigureAwait(false);
                if (read.Error == "closed")
                {
                    await AnswerCloseAsync(socket).ConfigureAwait(false);
                    return new SocketEnding(IsResumableClose(socket.CloseStatus), socket.CloseStatus, socket.CloseStatusDescription, null);
                }

                if (read.Error is not null)
                {
                    var status = read.Error == "text message" ? CloseCodes.TextMessage : CloseCodes.MessageTooBig;
                    await CloseOutputQuietlyAsync(socket, status, read.Error).ConfigureAwait(false);
                    return new SocketEnding(false, socket.CloseStatus, socket.CloseStatusDescription, new InvalidDataException($"The server sent a {read.Error}."));
                }

                if (!TryParseFrame(buffer.AsSpan(0, read.Length), limits, Protocol, out var message, out var position, out var failure))
                {
                    await CloseOutputQuietlyAsync(socket, failure.Status, failure.Reason).ConfigureAwait(false);
                    return new SocketEnding(false, socket.CloseStatus, socket.CloseStatusDescription, new InvalidDataException($"The server sent a bad frame: {failure.Reason}."));
                }

                if (Handle(message!, position))
                {
                    await DeliverAsync(new WsRoomsFrame(message!, position)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // CloseAsync or DisposeAsync: a normal ending.
            return new SocketEnding(false, socket.CloseStatus, socket.CloseStatusDescription, null);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // No closing handshake (an aborted socket's pending read ends as cancelled): the network or the edge host went away, which a v2 session survives.
            return new SocketEnding(true, socket.CloseStatus, socket.CloseStatusDescription, e);
        }
    }

    // The server's closes that suspend a v2 session instead of ending it (docs/protocol.md, "Session").
    private static bool IsResumableClose(WebSocketCloseStatus? status) =>
        status is CloseCodes.ShuttingDown or CloseCodes.ServiceRestart or CloseCodes.SlowConsumer;

    private void Finish(SocketEnding ending, bool gaveUp)
    {
        if (_closeRequested)
        {
            _socket.Abort();
        }

        var closed = gaveUp
            ? new WsRoomsConnectionClosedException("The WsRooms session could not be resumed in time.", ending.Failure)
            : new WsRoomsConnectionClosedException(ending.Status, ending.Description, ending.Failure);
        List<TaskCompletionSource<Message>> waiting;
        List<Outgoing> unacknowledged;
        lock (_gate)
        {
            _closedError = closed;
            _rooms.Clear();
            waiting = [.. _pendingJoins.Values.SelectMany(w => w), .. _pendingLeaves.Values.SelectMany(w => w)];
            unacknowledged = [.. _unacked.Values];
            _unacked.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.TrySetException(closed);
        }

        foreach (var outgoing in unacknowledged)
        {
            outgoing.Acknowledged?.TrySetException(closed);
        }

        // Wakes every send waiting for room in the window; each then finds the client closed.
        _window.Release(_options.MaxUnacknowledged);
        _messages.Writer.TryComplete();
        _closed.TrySetResult(ending.Status);
    }

    // Everything a frame changes in the client; false for the frames that answer a call instead of being delivered.
    private bool Handle(Message message, long position)
    {
        switch (message.Event)
        {
            case EventNames.JoinAck:
                return !CompletesARequest(message, position);
            case EventNames.LeaveAck:
                return !CompletesARequest(message, position);
            case EventNames.Ack when Protocol == ProtocolVersion.V2:
                return HandleAck(message);
            case EventNames.Error:
                return !FailsAJoin(message);
            case EventNames.Session when message.Room == EventNames.RootRoom && Protocol == ProtocolVersion.V2:
                if (SessionFrame.Parse(message.Payload) is { } session)
                {
                    _token = session.Token;
                    _graceMs = session.GraceMs;
                }

                return false;
        }

        if (position > 0)
        {
            lock (_gate)
            {
                if (message.Dst.Length > 0)
                {
                    _directPosition = Math.Max(_directPosition, position);
                }
                else if (message.Room != EventNames.RootRoom)
                {
                    // Max, not set: history frames follow a join_ack at positions below it.
                    _positions[message.Room] = Math.Max(_positions.GetValueOrDefault(message.Room), position);
                }
            }
        }

        return true;
    }

    // A join_ack or leave_ack someone awaits completes their call and is not delivered.
    private bool CompletesARequest(Message message, long position)
    {
        var pending = message.Event == EventNames.JoinAck ? _pendingJoins : _pendingLeaves;
        List<TaskCompletionSource<Message>>? waiters;
        lock (_gate)
        {
            if (message.Event == EventNames.JoinAck)
            {
                _rooms.Add(message.Room);
                if (position > 0)
                {
                    // The joiner's own new_member: the first room frame it receives is the next one.
                    _positions[message.Room] = Math.Max(_positions.GetValueOrDefault(message.Room), position);
                }
            }
            else
            {
                _rooms.Remove(message.Room);
                _positions.Remove(message.Room);
            }

            if (!pending.Remove(message.Room, out waiters))
            {
                return false;
            }
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult(message);
        }

        return true;
    }

    // A wsrooms.error refusing a join fails the waiting JoinAsync; history_gone follows a join that succeeded, and is delivered.
    private bool FailsAJoin(Message message)
    {
        if (!TryReadError(message.Payload, out var code, out var room, out var @event) ||
            @event != EventNames.Join || code == ErrorFrames.HistoryGone)
        {
            return false;
        }

        List<TaskCompletionSource<Message>>? waiters;
        lock (_gate)
        {
            if (!_pendingJoins.Remove(room, out waiters))
            {
                return false;
            }
        }

        var refused = new WsRoomsErrorException(code, room, @event);
        foreach (var waiter in waiters)
        {
            waiter.TrySetException(refused);
        }

        return true;
    }

    private static bool TryReadError(byte[] payload, out string code, out string room, out string @event)
    {
        code = room = @event = "";
        try
        {
            var error = JsonSerializer.Deserialize(payload, ErrorPayloadJson.Default.ErrorPayload);
            if (error is null)
            {
                return false;
            }

            (code, room, @event) = (error.Code ?? "", error.Room ?? "", error.Event ?? "");
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // A v2 acknowledgement: completes (or fails) the send with that message id; delivered only when it refuses a send nobody awaits.
    private bool HandleAck(Message message)
    {
        string? mid = null, error = null;
        long? seq = null;
        try
        {
            using var json = JsonDocument.Parse(message.Payload);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (root.TryGetProperty("mid", out var m) && m.ValueKind == JsonValueKind.String)
            {
                mid = m.GetString();
            }

            if (root.TryGetProperty("seq", out var s) && s.TryGetInt64(out var position))
            {
                seq = position;
            }

            if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
            {
                error = e.GetString();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (mid is null || !long.TryParse(mid, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        Outgoing? outgoing;
        lock (_gate)
        {
            // Absent: an acknowledgement repeated after a resume, of a frame already acknowledged.
            if (!_unacked.Remove(number, out outgoing))
            {
                return false;
            }

            // One's own broadcasts never come back, so their positions advance the room's only from here; only when
            // next in line, since a repeated acknowledgement may overtake replayed frames before it.
            if (error is null && seq is { } next && !outgoing.Direct && _positions.TryGetValue(outgoing.Room, out var last) && next == last + 1)
            {
                _positions[outgoing.Room] = next;
            }
        }

        _window.Release();
        if (error is not null)
        {
            if (outgoing.Acknowledged is { } refusedWaiter)
            {
                refusedWaiter.TrySetException(new WsRoomsErrorException(error, outgoing.Room, outgoing.Event));
                return false;
            }

            return true;
        }

        outgoing.Acknowledged?.TrySetResult(seq ?? 0);
        return false;
    }

    private async ValueTask DeliverAsync(WsRoomsFrame frame)
    {
        if (_options.OnMessage is not { } callback)
        {
            await _messages.Writer.WriteAsync(frame, _stopping.Token).ConfigureAwait(false);
            return;
        }

        try
        {
            await callback(frame.Message, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _options.OnCallbackError?.Invoke(e);
        }
    }

    // The server closed: answer its close frame so the handshake completes.
    private async Task AnswerCloseAsync(ClientWebSocket socket)
    {
        if (socket.State == WebSocketState.CloseReceived)
        {
            await CloseOutputQuietlyAsync(socket, CloseCodes.Normal, "").ConfigureAwait(false);
        }
    }

    private async Task CloseOutputQuietlyAsync(ClientWebSocket socket, WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or too slow: the socket is aborted by whoever ends the connection.
        }
    }
}
