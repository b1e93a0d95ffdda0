using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using WsRooms.Protocol;

namespace WsRooms.Client;

/// <summary>
/// A connection to a WsRooms edge host, speaking the protocol of docs/protocol.md: join and leave rooms, broadcast into a
/// room, send direct messages, and read what arrives as an <see cref="IAsyncEnumerable{T}"/> (or through
/// <see cref="WsRoomsClientOptions.OnMessage"/>).
/// </summary>
/// <remarks>
/// <para>Versions: the client offers <c>wsrooms.v2</c> unless <see cref="WsRoomsClientOptions.Protocol"/> says V1, and
/// speaks what the server selects (<see cref="Protocol"/>). On a v2 connection it is a session: when the server or
/// the network drops the socket (no close handshake, or the server's 1001, 1012 or 1013) the client resumes it on a
/// new socket, to any endpoint of <see cref="WsRoomsClientOptions.ResumeUris"/>, with backoff: the same
/// <see cref="Id"/>, the same rooms, every frame missed meanwhile delivered in order before the live ones, and every
/// send not yet acknowledged sent again under its message id, so that each lands once. Meanwhile every call waits
/// or queues as it would on a slow socket; only a session that cannot be resumed ends the client. A v1 connection
/// does not reconnect: a service that needs that connects again and gets a new <see cref="Id"/>.</para>
/// <para>What <see cref="Messages"/> carries: every frame the server sends after the connection's first frames, except
/// the join_ack and leave_ack that answer this client's own <see cref="JoinAsync(string, CancellationToken)"/> and
/// <see cref="LeaveAsync"/> (those complete the call instead), the <c>wsrooms.error</c> that refuses such a join (it
/// fails the call), the v2 acknowledgements of sends (they complete <see cref="PublishAsync(string, string, ReadOnlyMemory{byte}, CancellationToken)"/>;
/// a refusal of a <see cref="SendAsync(string, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/> nobody
/// awaits is delivered) and the session frames. A join_ack or leave_ack nobody waits for (the cluster joined or
/// removed this connection, <c>IConnectionGrain.JoinAsync</c>) is delivered like any other frame.</para>
/// <para>Reading is bounded (<see cref="WsRoomsClientOptions.ReceiveQueueCapacity"/>): an application that stops
/// reading stops the socket being read, and the edge host then closes the connection with 1013 (slow consumer).
/// A join or leave waiting behind a full queue waits too, so read the messages while you join.</para>
/// <para>Thread safety: every method may be called from any thread, concurrently; sends are written one at a time
/// in the order they acquire the connection.</para>
/// </remarks>
public sealed partial class WsRoomsClient : IAsyncDisposable
{
    /// <summary>The WebSocket subprotocol a v2 client asks for and a v2 server selects.</summary>
    public const string V2SubProtocol = "wsrooms.v2";

    private readonly WsRoomsClientOptions _options;
    private readonly Channel<WsRoomsFrame> _messages;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<TaskCompletionSource<Message>>> _pendingJoins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskCompletionSource<Message>>> _pendingLeaves = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rooms = new(StringComparer.Ordinal) { EventNames.RootRoom };
    private ClientWebSocket _socket;
    private string _id;
    private Uri _uri;
    private Task _lifetime = Task.CompletedTask;
    private WsRoomsConnectionClosedException? _closedError;
    private volatile bool _closeRequested;
    private int _disposed;

    private WsRoomsClient(Uri uri, ClientWebSocket socket, WsRoomsClientOptions options, ProtocolVersion protocol, string id, SessionFrame? session)
    {
        _uri = uri;
        _socket = socket;
        _options = options;
        _id = id;
        Protocol = protocol;
        _socketUp = true;
        _window = new SemaphoreSlim(options.MaxUnacknowledged);
        if (session is not null)
        {
            _token = session.Token;
            _graceMs = session.GraceMs;
        }

        _messages = Channel.CreateBounded<WsRoomsFrame>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
        });
    }

    /// <summary>
    /// This connection's id: the <c>src</c> of root's first join_ack, a canonical UUID. A v2 session keeps it across
    /// resumes; it changes only when a resume finds the session gone (<see cref="WsRoomsResume.Resumed"/> false).
    /// </summary>
    public string Id => Volatile.Read(ref _id);

    /// <summary>The WebSocket endpoint this client is connected to (after a resume: the one it resumed on).</summary>
    public Uri Uri => Volatile.Read(ref _uri);

    /// <summary>The protocol the server selected: <see cref="ProtocolVersion.V2"/> only when it took <c>wsrooms.v2</c>.</summary>
    public ProtocolVersion Protocol { get; }

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

    /// <summary>True until the client has closed for good (a v2 client stays connected while it resumes).</summary>
    public bool IsConnected => !_closed.Task.IsCompleted;

    /// <summary>Completes when the client has closed for good, with the close code the server sent last (null: none, e.g. it dropped).</summary>
    public Task<WebSocketCloseStatus?> Completion => _closed.Task;

    /// <summary>
    /// Every incoming message, in the order received; ends when the client closes (after what was already received).
    /// Several readers share one queue: each message goes to one of them. Empty when <see cref="WsRoomsClientOptions.OnMessage"/> is set.
    /// </summary>
    public IAsyncEnumerable<Message> Messages => ReadAllAsync();

    /// <summary>The same queue as <see cref="Messages"/>, each message with its v2 position.</summary>
    public IAsyncEnumerable<WsRoomsFrame> Frames => ReadAllFramesAsync();

    /// <summary>
    /// Connects, waits for root's join_ack (and on v2 for the session's token) and returns the open client. Throws
    /// <see cref="TimeoutException"/> after <see cref="WsRoomsClientOptions.ConnectTimeout"/>, <see cref="WebSocketException"/>
    /// when the upgrade is refused (401, 403, 503…), <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<WsRoomsClient> ConnectAsync(Uri uri, WsRoomsClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new WsRoomsClientOptions();
        options.Validate();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        ClientWebSocket? socket = null;
        var buffer = ArrayPool<byte>.Shared.Rent(options.Limits.MaxMessageBytes + 1);
        try
        {
            socket = await OpenSocketAsync(uri, options, timeout.Token).ConfigureAwait(false);
            var protocol = socket.SubProtocol == V2SubProtocol ? ProtocolVersion.V2 : ProtocolVersion.V1;
            var (first, _) = await ReadHandshakeFrameAsync(socket, buffer, options.Limits, protocol, timeout.Token).ConfigureAwait(false);
            if (first.Room != EventNames.RootRoom || first.Event != EventNames.JoinAck || first.Src.Length == 0)
            {
                throw new InvalidDataException("The server's first frame was not root's join_ack: is this a WsRooms endpoint?");
            }

            SessionFrame? session = null;
            if (protocol == ProtocolVersion.V2)
            {
                var (second, _) = await ReadHandshakeFrameAsync(socket, buffer, options.Limits, protocol, timeout.Token).ConfigureAwait(false);
                session = second.Room == EventNames.RootRoom && second.Event == EventNames.Session ? SessionFrame.Parse(second.Payload) : null;
                if (session is null)
                {
                    throw new InvalidDataException("The v2 server's second frame was not wsrooms.session.");
                }
            }

            var client = new WsRoomsClient(uri, socket, options, protocol, first.Src, session);
            client._lifetime = Task.Run(client.RunAsync, CancellationToken.None);
            return client;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Discard(socket);
            throw new TimeoutException($"No WsRooms connection to {uri} within {options.ConnectTimeout}.");
        }
        catch
        {
            Discard(socket);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<ClientWebSocket> OpenSocketAsync(Uri uri, WsRoomsClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            options.ConfigureWebSocket?.Invoke(socket.Options);
            if (options.Protocol == ProtocolVersion.V2)
            {
                socket.Options.AddSubProtocol(V2SubProtocol);
            }

            if (options.HttpInvoker is { } invoker)
            {
                await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            }

            return socket;
        }
        catch
        {
            Discard(socket);
            throw;
        }
    }

    private static void Discard(ClientWebSocket? socket)
    {
        socket?.Abort();
        socket?.Dispose();
    }

    // One whole frame of the connection's first exchange, read before the receive loop runs.
    private static async Task<(Message Message, long Position)> ReadHandshakeFrameAsync(
        ClientWebSocket socket, byte[] buffer, FrameLimits limits, ProtocolVersion protocol, CancellationToken cancellationToken)
    {
        var read = await ReadMessageAsync(socket, buffer, limits.MaxMessageBytes, cancellationToken).ConfigureAwait(false);
        if (read.Error is { } error)
        {
            throw new WsRoomsConnectionClosedException(socket.CloseStatus, socket.CloseStatusDescription ?? error);
        }

        if (!TryParseFrame(buffer.AsSpan(0, read.Length), limits, protocol, out var message, out var position, out _))
        {
            throw new InvalidDataException("The server sent a bad frame: is this a WsRooms endpoint?");
        }

        return (message!, position);
    }

    // A frame of the server's, its meta read as a position; on failure the close code and reason to answer it with.
    private static bool TryParseFrame(
        ReadOnlySpan<byte> frame, FrameLimits limits, ProtocolVersion protocol, out Message? message, out long position, out (WebSocketCloseStatus Status, string Reason) failure)
    {
        position = 0;
        failure = default;
        var error = Message.TryParse(frame, limits, protocol, out message, out var meta);
        if (error != FrameError.None)
        {
            failure = (error.ToCloseStatus(), error.ToReason());
            return false;
        }

        if (!FramePosition.TryRead(meta, out var seq))
        {
            // A server's meta is empty or a position: anything else is as malformed as a bad length.
            failure = (CloseCodes.MalformedFrame, "malformed frame: a meta that is not a position");
            message = null;
            return false;
        }

        position = (long)(seq ?? 0);
        return true;
    }

    // ----- rooms -----

    /// <summary>
    /// Joins <paramref name="room"/> and returns its members, this connection included, from the join_ack.
    /// Joining a room one is in returns the current members again.
    /// </summary>
    /// <exception cref="WsRoomsErrorException">The server refused the join (<c>join_denied</c>, <c>too_many_rooms</c>, <c>room_full</c>).</exception>
    public Task<IReadOnlyList<string>> JoinAsync(string room, CancellationToken cancellationToken = default) =>
        JoinWithPayloadAsync(room, [], cancellationToken);

    /// <summary>
    /// v2: joins <paramref name="room"/> asking for its last <paramref name="count"/> frames (at most the edge's cap).
    /// They follow in <see cref="Messages"/>, oldest first at their original positions, before any live frame of the room.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is v1, which has no history.</exception>
    /// <exception cref="WsRoomsErrorException">The server refused the join.</exception>
    public Task<IReadOnlyList<string>> JoinWithHistoryAsync(string room, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        RequireV2("History on join");
        return JoinWithPayloadAsync(room, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int> { ["history"] = count }), cancellationToken);
    }

    /// <summary>
    /// v2: joins <paramref name="room"/> asking for every frame after <paramref name="position"/> logged before the join.
    /// They follow in <see cref="Messages"/> in position order; when the log no longer reaches back that far, the join
    /// still succeeds and a <c>wsrooms.error</c> with code <c>history_gone</c> follows instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is v1, which has no history.</exception>
    /// <exception cref="WsRoomsErrorException">The server refused the join.</exception>
    public Task<IReadOnlyList<string>> JoinSinceAsync(string room, long position, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        RequireV2("History on join");
        return JoinWithPayloadAsync(room, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, long> { ["since"] = position }), cancellationToken);
    }

    private async Task<IReadOnlyList<string>> JoinWithPayloadAsync(string room, byte[] payload, CancellationToken cancellationToken)
    {
        var ack = await RequestAsync(_pendingJoins, room, EventNames.Join, payload, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<string[]>(ack.Payload) ?? [];
    }

    /// <summary>Leaves <paramref name="room"/> and waits for the leave_ack (leaving a room one is not in is acknowledged too).</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        if (room == EventNames.RootRoom)
        {
            throw new ArgumentException("The root room cannot be left: close the connection instead.", nameof(room));
        }

        await RequestAsync(_pendingLeaves, room, EventNames.Leave, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v2: the last position this client received (or was acknowledged) in <paramref name="room"/>; 0 when none.</summary>
    public long GetPosition(string room)
    {
        lock (_gate)
        {
            return _positions.GetValueOrDefault(room);
        }
    }

    private async Task<Message> RequestAsync(
        Dictionary<string, List<TaskCompletionSource<Message>>> pending, string room, string @event, byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var waiter = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closedError is { } closed)
            {
                throw closed;
            }

            // Registered before the frame leaves, so the answer cannot arrive before anyone waits for it (and a
            // resume knows to ask again).
            if (!pending.TryGetValue(room, out var waiters))
            {
                pending[room] = waiters = [];
            }

            waiters.Add(waiter);
        }

        try
        {
            await SendControlFrameAsync(room, @event, payload, cancellationToken).ConfigureAwait(false);
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

    private void RequireV2(string what)
    {
        if (Protocol != ProtocolVersion.V2)
        {
            throw new InvalidOperationException($"{what} needs a v2 connection; the server at {Uri} selected v1.");
        }
    }

    // ----- receiving -----

    /// <summary>The next incoming message. Throws <see cref="WsRoomsConnectionClosedException"/> once the client has closed and every message was read.</summary>
    public async ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default) =>
        (await ReceiveFrameAsync(cancellationToken).ConfigureAwait(false)).Message;

    /// <summary>The next incoming message with its position (see <see cref="ReceiveAsync"/>).</summary>
    public async ValueTask<WsRoomsFrame> ReceiveFrameAsync(CancellationToken cancellationToken = default)
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

    /// <summary>Every incoming message until the client closes or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<Message> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var frame in _messages.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return frame.Message;
        }
    }

    /// <summary>Every incoming message with its position until the client closes or <paramref name="cancellationToken"/> is cancelled.</summary>
    public IAsyncEnumerable<WsRoomsFrame> ReadAllFramesAsync(CancellationToken cancellationToken = default) =>
        _messages.Reader.ReadAllAsync(cancellationToken);

    // ----- closing -----

    /// <summary>
    /// Closes the connection normally (1000) and waits, at most <see cref="WsRoomsClientOptions.CloseTimeout"/>, for the
    /// server to answer; then the socket is released. The server ends the session at once and makes this connection
    /// leave every room. Messages received before the close can still be read. Safe to call more than once.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        _closeRequested = true;
        if (!_closed.Task.IsCompleted)
        {
            if (_socketUp)
            {
                await CloseOutputQuietlyAsync(Volatile.Read(ref _socket), CloseCodes.Normal, "").ConfigureAwait(false);
            }

            // Between two sockets of a resume there is no server to answer: stop at once.
            try
            {
                await _closed.Task.WaitAsync(_socketUp ? _options.CloseTimeout : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The server did not answer in time (or nobody reads the full queue): abort below.
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        Volatile.Read(ref _socket).Abort();
        await _lifetime.ConfigureAwait(false);
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
            _window.Dispose();
        }
    }

    /// <summary>Drops the current socket with no closing handshake, as a network failure would (for tests of the resume).</summary>
    internal void AbortSocket() => Volatile.Read(ref _socket).Abort();

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closedError) is { } closed)
        {
            throw closed;
        }
    }
}
