using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using WsRooms.Protocol;

namespace WsRooms.Client;

/// <summary>
/// One WebSocket connection to a WsRooms edge host, speaking the protocol of docs/protocol.md: join and leave rooms, broadcast into a
/// room, send direct messages, and read what arrives as an <see cref="IAsyncEnumerable{T}"/> (or through
/// <see cref="WsRoomsClientOptions.OnMessage"/>). It does not reconnect: a service that needs that connects again
/// and gets a new <see cref="Id"/>.
/// </summary>
/// <remarks>
/// <para>What <see cref="Messages"/> carries: every frame the server sends after root's first join_ack, except the
/// join_ack and leave_ack that answer this client's own <see cref="JoinAsync"/> and <see cref="LeaveAsync"/> (those
/// complete the call instead). A join_ack or leave_ack nobody waits for — the cluster joined or removed this
/// connection (<c>IConnectionGrain.JoinAsync</c>) — is delivered like any other frame.</para>
/// <para>Reading is bounded (<see cref="WsRoomsClientOptions.ReceiveQueueCapacity"/>): an application that stops
/// reading stops the socket being read, and the edge host then closes the connection with 1013 (slow consumer).
/// A join or leave waiting behind a full queue waits too, so read the messages while you join.</para>
/// <para>Thread safety: every method may be called from any thread, concurrently; sends are written one at a time
/// in the order they acquire the connection.</para>
/// </remarks>
public sealed class WsRoomsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly WsRoomsClientOptions _options;
    private readonly Channel<Message> _messages;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<TaskCompletionSource<Message>>> _pendingJoins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskCompletionSource<Message>>> _pendingLeaves = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rooms = new(StringComparer.Ordinal) { EventNames.RootRoom };
    private Task _receiveLoop = Task.CompletedTask;
    private WsRoomsConnectionClosedException? _closedError;
    private int _disposed;

    private WsRoomsClient(Uri uri, ClientWebSocket socket, WsRoomsClientOptions options, string id)
    {
        Uri = uri;
        _socket = socket;
        _options = options;
        Id = id;
        _messages = Channel.CreateBounded<Message>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
        });
    }

    /// <summary>This connection's id: the <c>src</c> of root's first join_ack, a canonical UUID.</summary>
    public string Id { get; }

    /// <summary>The WebSocket endpoint this client is connected to.</summary>
    public Uri Uri { get; }

    /// <summary>The rooms this connection is in as far as acknowledgements received so far say; always has <c>root</c> while open.</summary>
    public IReadOnlyCollection<string> Rooms
    {
        get
        {
            lock (_gate)
            {
                return [.. _rooms];
            }
        }
    }

    /// <summary>True until the connection has closed, for whatever reason.</summary>
    public bool IsConnected => !_closed.Task.IsCompleted;

    /// <summary>Completes when the connection has closed, with the close code the server sent (null: none, e.g. it dropped).</summary>
    public Task<WebSocketCloseStatus?> Completion => _closed.Task;

    /// <summary>
    /// Every incoming message, in the order received; ends when the connection closes (after what was already received).
    /// Several readers share one queue: each message goes to one of them. Empty when <see cref="WsRoomsClientOptions.OnMessage"/> is set.
    /// </summary>
    public IAsyncEnumerable<Message> Messages => ReadAllAsync();

    /// <summary>
    /// Connects, waits for root's join_ack and returns the open client. Throws <see cref="TimeoutException"/> after
    /// <see cref="WsRoomsClientOptions.ConnectTimeout"/>, <see cref="WebSocketException"/> when the upgrade is refused
    /// (401, 403, 503…), <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<WsRoomsClient> ConnectAsync(Uri uri, WsRoomsClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new WsRoomsClientOptions();
        options.Validate();

        var socket = new ClientWebSocket();
        byte[]? buffer = null;
        try
        {
            options.ConfigureWebSocket?.Invoke(socket.Options);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
                buffer = ArrayPool<byte>.Shared.Rent(options.Limits.MaxMessageBytes);
                var read = await ReadMessageAsync(socket, buffer, options.Limits.MaxMessageBytes, timeout.Token).ConfigureAwait(false);
                if (read.Error is { } error)
                {
                    throw new WsRoomsConnectionClosedException(socket.CloseStatus, socket.CloseStatusDescription ?? error);
                }

                if (Message.TryParse(buffer.AsSpan(0, read.Length), options.Limits, out var first) != FrameError.None ||
                    first!.Room != EventNames.RootRoom || first.Event != EventNames.JoinAck || first.Src.Length == 0)
                {
                    throw new InvalidDataException("The server's first frame was not root's join_ack: is this a WsRooms endpoint?");
                }

                var client = new WsRoomsClient(uri, socket, options, first.Src);
                client._receiveLoop = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
                return client;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No WsRooms connection to {uri} within {options.ConnectTimeout}.");
            }
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // ----- rooms -----

    /// <summary>
    /// Joins <paramref name="room"/> and returns its members, this connection included, from the join_ack.
    /// Joining a room one is in returns the current members again.
    /// </summary>
    public async Task<IReadOnlyList<string>> JoinAsync(string room, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(_pendingJoins, room, EventNames.Join, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<string[]>(ack.Payload) ?? [];
    }

    /// <summary>Leaves <paramref name="room"/> and waits for the leave_ack (leaving a room one is not in is acknowledged too).</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        if (room == EventNames.RootRoom)
        {
            throw new ArgumentException("The root room cannot be left: close the connection instead.", nameof(room));
        }

        await RequestAsync(_pendingLeaves, room, EventNames.Leave, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Message> RequestAsync(Dictionary<string, List<TaskCompletionSource<Message>>> pending, string room, string @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var waiter = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closedError is { } closed)
            {
                throw closed;
            }

            // Registered before the frame leaves, so the answer cannot arrive before anyone waits for it.
            if (!pending.TryGetValue(room, out var waiters))
            {
                pending[room] = waiters = [];
            }

            waiters.Add(waiter);
        }

        try
        {
            await SendFrameAsync(room, @event, "", ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (pending.TryGetValue(room, out var waiters) && waiters.Remove(waiter) && waiters.Count == 0)
                {
                    pending.Remove(room);
                }
            }
        }
    }

    // ----- sending -----

    /// <summary>
    /// Sends <c>(room, event, dst, Id, payload)</c>: a broadcast to the room's other members when <paramref name="dst"/>
    /// is empty (this connection must be in the room), else a direct message to connection <paramref name="dst"/>.
    /// Cancelling a send that has started writing aborts the connection (the rule of every .NET WebSocket).
    /// </summary>
    /// <exception cref="ArgumentException">A reserved event (use <see cref="JoinAsync"/>/<see cref="LeaveAsync"/>), an empty or over-long name, or a frame over the size limit.</exception>
    /// <exception cref="WsRoomsConnectionClosedException">The connection is closed.</exception>
    public ValueTask SendAsync(string room, string @event, ReadOnlyMemory<byte> payload, string? dst = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (EventNames.IsReserved(@event))
        {
            throw new ArgumentException($"'{@event}' is reserved by the protocol: use JoinAsync or LeaveAsync.", nameof(@event));
        }

        return SendFrameAsync(room, @event, dst ?? "", payload, cancellationToken);
    }

    /// <summary>Like <see cref="SendAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public ValueTask SendAsync(string room, string @event, string payload, string? dst = null, CancellationToken cancellationToken = default) =>
        SendAsync(room, @event, Encoding.UTF8.GetBytes(payload ?? ""), dst, cancellationToken);

    /// <summary>
    /// Sends a direct message to connection <paramref name="dst"/>, on whichever edge host it is. It arrives as
    /// <c>(room, event, dst, Id, payload)</c>; <paramref name="room"/> defaults to <c>root</c>. An unknown id drops it silently.
    /// </summary>
    public ValueTask SendDirectAsync(string dst, string @event, ReadOnlyMemory<byte> payload, string? room = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dst);
        return SendAsync(room ?? EventNames.RootRoom, @event, payload, dst, cancellationToken);
    }

    /// <summary>Like <see cref="SendDirectAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> with a UTF-8 text payload.</summary>
    public ValueTask SendDirectAsync(string dst, string @event, string payload, string? room = null, CancellationToken cancellationToken = default) =>
        SendDirectAsync(dst, @event, Encoding.UTF8.GetBytes(payload ?? ""), room, cancellationToken);

    private async ValueTask SendFrameAsync(string room, string @event, string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var length = CheckFrame(room, @event, dst, payload.Length);
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

    // Checks every limit the server would close us for, so a bad call is an exception here rather than a 1009 there.
    private int CheckFrame(string room, string @event, string dst, int payloadLength)
    {
        ArgumentNullException.ThrowIfNull(room);
        var limits = _options.Limits;
        try
        {
            CheckField(room, 1, limits.MaxRoomBytes, nameof(room));
            CheckField(@event, 1, limits.MaxEventBytes, "event");
            CheckField(dst, 0, limits.MaxIdBytes, nameof(dst));
            var length = FrameWriter.GetFrameLength(room, @event, dst, Id, payloadLength);
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

    // ----- receiving -----

    /// <summary>The next incoming message. Throws <see cref="WsRoomsConnectionClosedException"/> once the connection has closed and every message was read.</summary>
    public async ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _messages.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw _closedError ?? new WsRoomsConnectionClosedException(null, e);
        }
    }

    /// <summary>Every incoming message until the connection closes or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<Message> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in _messages.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }

    private readonly record struct ReadResult(int Length, string? Error);

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

    private async Task ReceiveLoopAsync()
    {
        var limits = _options.Limits;
        var buffer = ArrayPool<byte>.Shared.Rent(limits.MaxMessageBytes + 1);
        Exception? failure = null;
        try
        {
            while (true)
            {
                var read = await ReadMessageAsync(_socket, buffer, limits.MaxMessageBytes, _stopping.Token).ConfigureAwait(false);
                if (read.Error == "closed")
                {
                    await AnswerCloseAsync().ConfigureAwait(false);
                    break;
                }

                if (read.Error is not null)
                {
                    var status = read.Error == "text message" ? CloseCodes.TextMessage : CloseCodes.MessageTooBig;
                    failure = new InvalidDataException($"The server sent a {read.Error}.");
                    await CloseOutputQuietlyAsync(status, read.Error).ConfigureAwait(false);
                    break;
                }

                var error = Message.TryParse(buffer.AsSpan(0, read.Length), limits, out var message);
                if (error != FrameError.None)
                {
                    failure = new InvalidDataException($"The server sent a bad frame: {error.ToReason()}.");
                    await CloseOutputQuietlyAsync(error.ToCloseStatus(), error.ToReason()).ConfigureAwait(false);
                    break;
                }

                if (!CompletesARequest(message!))
                {
                    await DeliverAsync(message!).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // CloseAsync or DisposeAsync: a normal ending.
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            failure = e;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            var closed = new WsRoomsConnectionClosedException(_socket.CloseStatus, _socket.CloseStatusDescription, failure);
            List<TaskCompletionSource<Message>> waiting;
            lock (_gate)
            {
                _closedError = closed;
                _rooms.Clear();
                waiting = [.. _pendingJoins.Values.SelectMany(w => w), .. _pendingLeaves.Values.SelectMany(w => w)];
            }

            foreach (var waiter in waiting)
            {
                waiter.TrySetException(closed);
            }

            _messages.Writer.TryComplete();
            _closed.TrySetResult(_socket.CloseStatus);
        }
    }

    // A join_ack or leave_ack someone awaits completes their call and is not delivered.
    private bool CompletesARequest(Message message)
    {
        var pending = message.Event switch
        {
            EventNames.JoinAck => _pendingJoins,
            EventNames.LeaveAck => _pendingLeaves,
            _ => null,
        };
        if (pending is null)
        {
            return false;
        }

        List<TaskCompletionSource<Message>>? waiters;
        lock (_gate)
        {
            if (message.Event == EventNames.JoinAck)
            {
                _rooms.Add(message.Room);
            }
            else
            {
                _rooms.Remove(message.Room);
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

    private async ValueTask DeliverAsync(Message message)
    {
        if (_options.OnMessage is not { } callback)
        {
            await _messages.Writer.WriteAsync(message, _stopping.Token).ConfigureAwait(false);
            return;
        }

        try
        {
            await callback(message, _stopping.Token).ConfigureAwait(false);
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
    private async Task AnswerCloseAsync()
    {
        if (_socket.State == WebSocketState.CloseReceived)
        {
            await CloseOutputQuietlyAsync(CloseCodes.Normal, "").ConfigureAwait(false);
        }
    }

    private async Task CloseOutputQuietlyAsync(WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
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

    // ----- closing -----

    /// <summary>
    /// Closes the connection normally (1000) and waits, at most <see cref="WsRoomsClientOptions.CloseTimeout"/>, for the
    /// server to answer; then the socket is released. The server makes this connection leave every room. Messages
    /// received before the close can still be read. Safe to call more than once.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (!_closed.Task.IsCompleted)
        {
            await CloseOutputQuietlyAsync(CloseCodes.Normal, "").ConfigureAwait(false);
            try
            {
                await _closed.Task.WaitAsync(_options.CloseTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The server did not answer in time (or nobody reads the full queue): abort below.
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await _receiveLoop.ConfigureAwait(false);
    }

    /// <summary>Closes (see <see cref="CloseAsync"/>) and releases the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _socket.Dispose();
            _stopping.Dispose();
            _sendLock.Dispose();
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closedError) is { } closed)
        {
            throw closed;
        }
    }
}
