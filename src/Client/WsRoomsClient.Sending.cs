using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using WsRooms.Protocol;

namespace WsRooms.Client;

public sealed partial class WsRoomsClient
{
    // The longest message id this client makes: the decimal digits of a long.
    private const int MaxMidBytes = 20;

    // v2: every send carries a message id and waits here, by id (ids grow with every send, so this is send order),
    // until its acknowledgement; a resume sends them all again, in order.
    private readonly SortedDictionary<long, Outgoing> _unacked = [];
    private readonly SemaphoreSlim _window;
    private long _lastMid;

    // False while a v2 socket is gone and not yet replaced: sends then only wait in _unacked.
    private volatile bool _socketUp;

    /// <summary>
    /// Sends <c>(room, event, dst, Id, payload)</c>: a broadcast to the room's other members when <paramref name="dst"/>
    /// is empty (this connection must be in the room), else a direct message to connection <paramref name="dst"/>.
    /// On v2 it carries a message id and is sent again after a resume until the server acknowledges it, so it lands
    /// exactly once; it returns once written (or, while the client resumes, once queued) without waiting for the
    /// acknowledgement: <see cref="PublishAsync(string, string, ReadOnlyMemory{byte}, CancellationToken)"/> waits.
    /// A refusal of such a send arrives in <see cref="Messages"/> as the server's <c>wsrooms.ack</c> frame.
    /// Cancelling a send that has started writing aborts the socket (the rule of every .NET WebSocket): a v1
    /// connection ends, a v2 one resumes and sends the frame again.
    /// </summary>
    /// <exception cref="ArgumentException">A reserved event (use <see cref="JoinAsync(string, CancellationToken)"/>/<see cref="LeaveAsync"/>; <c>wsrooms.*</c> is the protocol's), an empty or over-long name, or a frame over the size limit.</exception>
    /// <exception cref="WsRoomsConnectionClosedException">The client is closed.</exception>
    public ValueTask SendAsync(string room, string @event, ReadOnlyMemory<byte> payload, string? dst = null, CancellationToken cancellationToken = default)
    {
        CheckEvent(@event);
        return Protocol == ProtocolVersion.V2
            ? new ValueTask(SendTrackedAsync(room, @event, dst ?? "", payload, null, cancellationToken))
            : SendV1FrameAsync(room, @event, dst ?? "", payload, cancellationToken);
    }

    /// <summary>Like <see cref="SendAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public ValueTask SendAsync(string room, string @event, string payload, string? dst = null, CancellationToken cancellationToken = default) =>
        SendAsync(room, @event, Encoding.UTF8.GetBytes(payload ?? ""), dst, cancellationToken);

    /// <summary>
    /// Sends a direct message to connection <paramref name="dst"/>, on whichever edge host it is. It arrives as
    /// <c>(room, event, dst, Id, payload)</c>; <paramref name="room"/> defaults to <c>root</c>. On v1 an unknown id drops
    /// it silently; on v2 the server refuses it with <c>unknown_dst</c> (see <see cref="PublishDirectAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/>).
    /// </summary>
    public ValueTask SendDirectAsync(string dst, string @event, ReadOnlyMemory<byte> payload, string? room = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dst);
        return SendAsync(room ?? EventNames.RootRoom, @event, payload, dst, cancellationToken);
    }

    /// <summary>Like <see cref="SendDirectAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public ValueTask SendDirectAsync(string dst, string @event, string payload, string? room = null, CancellationToken cancellationToken = default) =>
        SendDirectAsync(dst, @event, Encoding.UTF8.GetBytes(payload ?? ""), room, cancellationToken);

    /// <summary>
    /// v2: broadcasts into <paramref name="room"/> like <see cref="SendAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/>
    /// and waits for the server's acknowledgement; returns the frame's position in the room's log. Across a resume it
    /// is sent again under the same message id, and the server delivers it once and acknowledges it again.
    /// Cancelling stops the wait; a frame already handed over is still sent (and resent) until acknowledged.
    /// </summary>
    /// <exception cref="WsRoomsErrorException">The server refused it: <c>not_member</c>, <c>publish_denied</c>, ….</exception>
    /// <exception cref="InvalidOperationException">The connection is v1, which has no acknowledgements.</exception>
    /// <exception cref="WsRoomsConnectionClosedException">The client closed, or a resume found the session gone, before the acknowledgement.</exception>
    public Task<long> PublishAsync(string room, string @event, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendAcknowledgedAsync(room, @event, "", payload, cancellationToken);

    /// <summary>Like <see cref="PublishAsync(string, string, ReadOnlyMemory{byte}, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public Task<long> PublishAsync(string room, string @event, string payload, CancellationToken cancellationToken = default) =>
        PublishAsync(room, @event, Encoding.UTF8.GetBytes(payload ?? ""), cancellationToken);

    /// <summary>
    /// v2: sends a direct message like <see cref="SendDirectAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/>
    /// and waits for the acknowledgement; returns its position in the recipient's direct log.
    /// </summary>
    /// <exception cref="WsRoomsErrorException">The server refused it, e.g. <c>unknown_dst</c>.</exception>
    /// <exception cref="InvalidOperationException">The connection is v1.</exception>
    /// <exception cref="WsRoomsConnectionClosedException">The client closed, or a resume found the session gone, before the acknowledgement.</exception>
    public Task<long> PublishDirectAsync(string dst, string @event, ReadOnlyMemory<byte> payload, string? room = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dst);
        return SendAcknowledgedAsync(room ?? EventNames.RootRoom, @event, dst, payload, cancellationToken);
    }

    /// <summary>Like <see cref="PublishDirectAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public Task<long> PublishDirectAsync(string dst, string @event, string payload, string? room = null, CancellationToken cancellationToken = default) =>
        PublishDirectAsync(dst, @event, Encoding.UTF8.GetBytes(payload ?? ""), room, cancellationToken);

    private async Task<long> SendAcknowledgedAsync(string room, string @event, string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        CheckEvent(@event);
        RequireV2("An acknowledged send");
        var acknowledged = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendTrackedAsync(room, @event, dst, payload, acknowledged, cancellationToken).ConfigureAwait(false);
        return await acknowledged.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void CheckEvent(string @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (EventNames.IsReserved(@event))
        {
            throw new ArgumentException($"'{@event}' is reserved by the protocol: use JoinAsync or LeaveAsync.", nameof(@event));
        }

        if (EventNames.IsProtocolReserved(@event))
        {
            throw new ArgumentException($"'{@event}' is in the protocol's reserved namespace '{EventNames.ReservedPrefix}': the server drops it.", nameof(@event));
        }
    }

    // v2: give the frame the next message id, keep it until acknowledged, write it if a socket is up.
    private async Task SendTrackedAsync(string room, string @event, string dst, ReadOnlyMemory<byte> payload, TaskCompletionSource<long>? acknowledged, CancellationToken cancellationToken)
    {
        CheckFrame(room, @event, dst, payload.Length, MaxMidBytes);
        ThrowIfClosed();
        await _window.WaitAsync(cancellationToken).ConfigureAwait(false);
        var kept = false;
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfClosed();
                // Numbered under the send lock, so id order is the order frames reach the socket, which a resume repeats.
                var number = ++_lastMid;
                Span<byte> mid = stackalloc byte[MaxMidBytes];
                number.TryFormat(mid, out var midLength, default, CultureInfo.InvariantCulture);
                var frame = FrameWriter.ToArray(room, @event, dst, Id, payload.Span, ProtocolVersion.V2, mid[..midLength]);
                lock (_gate)
                {
                    _unacked.Add(number, new Outgoing(room, @event, dst.Length > 0, frame, acknowledged));
                }

                kept = true;
                if (_socketUp)
                {
                    try
                    {
                        await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
                    {
                        // The socket dropped under the write: the frame is kept, and the resume sends it again.
                    }
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            if (!kept)
            {
                _window.Release();
            }
        }
    }

    // Join and leave: on v2 a dropped one is asked again by the resume (the request is still pending), so a write
    // that fails on a dropped socket is not an error.
    private async ValueTask SendControlFrameAsync(string room, string @event, byte[] payload, CancellationToken cancellationToken)
    {
        if (Protocol == ProtocolVersion.V1)
        {
            await SendV1FrameAsync(room, @event, "", payload, cancellationToken).ConfigureAwait(false);
            return;
        }

        CheckFrame(room, @event, "", payload.Length, 0);
        ThrowIfClosed();
        var frame = FrameWriter.ToArray(room, @event, "", Id, payload, ProtocolVersion.V2, []);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            if (_socketUp)
            {
                try
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
                {
                    // Asked again after the resume.
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask SendV1FrameAsync(string room, string @event, string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var length = CheckFrame(room, @event, dst, payload.Length, 0);
        ThrowIfClosed();

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = FrameWriter.Write(buffer, room, @event, dst, Id, payload.Span);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfClosed();
                await _socket.SendAsync(buffer.AsMemory(0, written), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
            {
                throw _closedError ?? new WsRoomsConnectionClosedException(_socket.CloseStatus, _socket.CloseStatusDescription, e);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Writes frames the caller already holds the send lock for (a resume's resends and repeated requests).
    private async Task WriteHeldAsync(ClientWebSocket socket, byte[] frame) =>
        await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);

    // Checks every limit the server would close us for, so a bad call is an exception here rather than a 1009 there.
    private int CheckFrame(string room, string @event, string dst, int payloadLength, int metaLength)
    {
        ArgumentNullException.ThrowIfNull(room);
        var limits = _options.Limits;
        try
        {
            CheckField(room, 1, limits.MaxRoomBytes, nameof(room));
            CheckField(@event, 1, limits.MaxEventBytes, "event");
            CheckField(dst, 0, limits.MaxIdBytes, nameof(dst));
            var length = FrameWriter.GetFrameLength(room, @event, dst, Id, payloadLength, Protocol, Protocol == ProtocolVersion.V2 ? metaLength : 0);
            if (length > limits.MaxMessageBytes)
            {
                throw new ArgumentException($"The frame would be {length} bytes; the limit is {limits.MaxMessageBytes}.", "payload");
            }

            return length;
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("room, event and dst must be valid UTF-16 (no lone surrogates).", e);
        }
    }

    private static void CheckField(string value, int min, int max, string name)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes < min || bytes > max)
        {
            throw new ArgumentException($"{name} must be {min}–{max} UTF-8 bytes (was {bytes}).", name);
        }
    }

    /// <summary>A v2 send waiting for its acknowledgement: the frame as written (with its message id), to write again after a resume.</summary>
    private sealed record Outgoing(string Room, string Event, bool Direct, byte[] Frame, TaskCompletionSource<long>? Acknowledged);
}
