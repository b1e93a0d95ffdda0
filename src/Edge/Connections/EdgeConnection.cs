using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// One accepted WebSocket: its receive loop (socket → parse → dispatch), its sends (bounded queue → socket) and its
/// single, exactly-once ending. Shaped after ASP.NET Core SignalR's WebSocketsServerTransport (a bounded wait for the
/// close handshake, then Abort), but built so that an idle connection holds as little as possible: the receive loop
/// waits with a zero-byte read and no buffer, frames wait in a queue that holds no array while at most one frame
/// waits, the sender runs only while there is something to send, and the objects only an ending needs (the close
/// timer, the wait for the close frame) are made when the ending starts. Issue #4 measured each of these at 5,000
/// idle connections (README, "Performance").
/// </summary>
internal sealed partial class EdgeConnection : IRoomConnection, IThreadPoolWorkItem
{
    private readonly WebSocket _socket;
    private readonly WsRoomsEdgeOptions _options;
    private readonly ConnectionRegistry _registry;
    private readonly FrameDispatcher _dispatcher;
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;

    // Guards every field below it. One lock for the queue, the local rooms and the ending: none is held for long.
    private readonly Lock _gate = new();
    private FrameQueue _queue;
    private SendState _sendState;
    private HashSet<string>? _localRooms;
    private int _closing;
    private bool _registered;
    private bool _closeReady;
    private WebSocketCloseStatus _closeStatus = CloseCodes.Normal;
    private string _closeReason = "";
    private TaskCompletionSource? _sendEnded;
    private Timer? _closeTimer;
    private bool _hasEnded;
    private TaskCompletionSource? _ended;

    private Task _cleanup = Task.CompletedTask;
    private CancellationToken _requestAborted;

    public EdgeConnection(
        string id,
        IReadOnlyDictionary<string, string> claims,
        WebSocket socket,
        WsRoomsEdgeOptions options,
        ConnectionRegistry registry,
        FrameDispatcher dispatcher,
        IGrainFactory grains,
        ILogger logger)
    {
        Id = id;
        Claims = claims;
        _socket = socket;
        _options = options;
        _registry = registry;
        _dispatcher = dispatcher;
        _grains = grains;
        _logger = logger;
    }

    public string Id { get; }

    /// <summary>The edge's instruments (issue #6); null in code that builds a connection without them.</summary>
    internal EdgeMetrics? Metrics { get; init; }

    /// <summary>This connection's token buckets, when WsRooms:Quotas sets a rate.</summary>
    internal ConnectionRateLimiter? RateLimiter { get; init; }

    /// <summary>The edge host holding the socket, as the cluster knows it (<see cref="EdgeIdentity.Id"/>).</summary>
    internal string EdgeId { get; init; } = "";

    public IReadOnlyDictionary<string, string> Claims { get; }

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

    private IConnectionGrain Grain => _grains.GetConnection(Id);

    // ----- IRoomConnection: what handlers and the fan-out use -----

    public bool TrySend(ReadOnlyMemory<byte> frame)
    {
        bool queued, startSending = false;
        lock (_gate)
        {
            if (_closing != 0)
            {
                return false;
            }

            queued = _queue.Count < _options.SendQueueCapacity;
            if (queued)
            {
                _queue.Enqueue(frame);
                startSending = _sendState == SendState.Idle;
                if (startSending)
                {
                    _sendState = SendState.Running;
                }
            }
        }

        if (!queued)
        {
            // The client does not read as fast as the room talks. Holding more would let one slow reader grow the
            // edge's memory without bound, so it goes, as in the seed.
            Log.SlowConsumer(_logger, Id, _options.SendQueueCapacity);
            BeginClose(CloseCodes.SlowConsumer, "send queue overflow: slow consumer");
            return false;
        }

        if (startSending)
        {
            // On the thread pool, as the channel this replaced woke its send loop: the fan-out thread only queues,
            // and the sends of one broadcast spread over every core (README, "Where the edge's CPU goes").
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    public bool TrySend(Message message) => TrySend(message.ToBytes());

    public Task SendToRoomAsync(string room, string @event, byte[] payload) =>
        _grains.GetRoom(room).PublishAsync(@event, payload, Id);

    public Task<bool> SendToClientAsync(string dstId, string @event, byte[] payload, string room = EventNames.RootRoom) =>
        _grains.GetConnection(dstId).SendAsync(new Message(room, @event, dstId, Id, payload));

    public async Task<bool> JoinAsync(string room)
    {
        await EnsureRegisteredAsync().ConfigureAwait(false);
        return await Grain.JoinAsync(room).ConfigureAwait(false);
    }

    public async Task<bool> LeaveAsync(string room)
    {
        await EnsureRegisteredAsync().ConfigureAwait(false);
        return await Grain.LeaveAsync(room).ConfigureAwait(false);
    }

    // ----- the connection's grain: opened on first need, closed only if it was -----

    /// <summary>
    /// Opens this connection's grain unless the cluster already knows it. Connecting opens none (see
    /// <c>ConnectionGrain</c>): the edge opens it before the first join, and a grain asked about the connection
    /// first adopts it through <see cref="TryMarkRegistered"/>. A failed open is not retried here: the grain then
    /// adopts the connection on the next call, which finds it not open.
    /// </summary>
    internal Task EnsureRegisteredAsync()
    {
        lock (_gate)
        {
            if (_registered || _closing != 0)
            {
                return Task.CompletedTask;
            }

            // Before the call: should it time out after all having opened the grain, closing must still close it.
            _registered = true;
        }

        return Grain.OpenAsync(EdgeId, Claims);
    }

    /// <summary>True once the cluster has heard of this connection (or is about to): only then can it be in a room.</summary>
    internal bool IsRegistered
    {
        get
        {
            lock (_gate)
            {
                return _registered;
            }
        }
    }

    /// <summary>
    /// The cluster is adopting this connection (its grain asked, <see cref="EdgeConnectionLookup"/>): from now on
    /// closing closes the grain. False once the connection has begun to close, so a closing one is never adopted.
    /// </summary>
    internal bool TryMarkRegistered()
    {
        lock (_gate)
        {
            if (_closing != 0)
            {
                return false;
            }

            _registered = true;
            return true;
        }
    }

    // ----- local room index, kept by ConnectionRegistry under its own rules -----

    internal bool AddLocalRoom(string room)
    {
        lock (_gate)
        {
            // Made at the first join: a connection in no room but root (root needs no entry) holds no set.
            return _closing == 0 && (_localRooms ??= new(StringComparer.Ordinal)).Add(room);
        }
    }

    internal bool RemoveLocalRoom(string room)
    {
        lock (_gate)
        {
            if (_localRooms is null || !_localRooms.Remove(room))
            {
                return false;
            }

            if (_localRooms.Count == 0)
            {
                _localRooms = null;
            }

            return true;
        }
    }

    internal string[] TakeLocalRooms()
    {
        lock (_gate)
        {
            var rooms = _localRooms is null ? [] : _localRooms.ToArray();
            _localRooms = null;
            return rooms;
        }
    }

    // ----- lifecycle -----

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
            // The peer vanished, the keepalive timed out, or we aborted: all normal endings.
            BeginClose(CloseCodes.InternalError, "connection lost");
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
            // runs out (see README, reliability). Nothing the client can do about it.
            Log.LeaveFailed(_logger, Id, e);
        }
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
            // Faster than WsRooms:Quotas allows: the connection goes with 1008 (PROTOCOL.md), nobody else notices.
            Log.RateLimited(_logger, Id);
            Metrics?.Dropped(DropReasons.RateLimited);
            BeginClose(CloseCodes.PolicyViolation, "rate limit exceeded");
            return;
        }

        var error = Message.TryParse(frame.Span, _options.Limits, out var message);
        if (error != FrameError.None)
        {
            Log.MalformedFrame(_logger, Id, error);
            BeginClose(error.ToCloseStatus(), error.ToReason());
            return;
        }

        try
        {
            await _dispatcher.DispatchAsync(this, message!, _requestAborted).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_requestAborted.IsCancellationRequested)
        {
            // At most once: a frame the cluster could not take now is dropped, the connection lives on.
            Log.DispatchFailed(_logger, Id, message!.Room, message.Event, e);
            Metrics?.Dropped(DropReasons.DispatchFailed);
        }
    }

    // ----- sending: runs on the thread pool only while frames wait, or to send the close frame -----

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
            BeginClose(CloseCodes.InternalError, "connection lost");
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

    private enum ReadKind
    {
        Binary,
        Text,
        TooBig,
        Close,
    }

    /// <summary>
    /// The frames waiting to be sent, oldest first. The oldest sits in a field, so a connection with at most one frame
    /// waiting (nearly always, at ordinary rates) needs no array; a burst grows a ring. A ring of up to
    /// <see cref="RetainedRing"/> slots is kept for the next burst (so steady fan-out allocates nothing); a larger one
    /// is dropped once empty, so an idle connection never keeps more than that. The owner bounds the count.
    /// </summary>
    private struct FrameQueue
    {
        private const int InitialRing = 4;
        private const int RetainedRing = 16;
        private ReadOnlyMemory<byte> _first;
        private ReadOnlyMemory<byte>[]? _rest;
        private int _restStart;

        public int Count { get; private set; }

        public void Enqueue(ReadOnlyMemory<byte> frame)
        {
            if (Count == 0)
            {
                _first = frame;
                Count = 1;
                return;
            }

            var restCount = Count - 1;
            if (_rest is null || restCount == _rest.Length)
            {
                Grow(restCount);
            }

            _rest![(_restStart + restCount) % _rest.Length] = frame;
            Count++;
        }

        public ReadOnlyMemory<byte> Dequeue()
        {
            var frame = _first;
            Count--;
            if (Count == 0)
            {
                _first = default;
                if (_rest is { Length: > RetainedRing })
                {
                    _rest = null;
                }

                return frame;
            }

            _first = _rest![_restStart];
            _rest[_restStart] = default;
            _restStart = (_restStart + 1) % _rest.Length;
            return frame;
        }

        public void Clear() => this = default;

        private void Grow(int restCount)
        {
            var next = new ReadOnlyMemory<byte>[_rest is null ? InitialRing : _rest.Length * 2];
            for (var i = 0; i < restCount; i++)
            {
                next[i] = _rest![(_restStart + i) % _rest.Length];
            }

            _rest = next;
            _restStart = 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed with {CloseStatus} ({Reason})")]
        public static partial void Closed(ILogger logger, string connectionId, int closeStatus, string reason);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connection {ConnectionId} sent a malformed frame: {Error}")]
        public static partial void MalformedFrame(ILogger logger, string connectionId, FrameError error);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Connection {ConnectionId} dropped: its send queue of {Capacity} frames overflowed (slow consumer)")]
        public static partial void SlowConsumer(ILogger logger, string connectionId, int capacity);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Frame from {ConnectionId} to room {Room}, event {Event} was dropped: the cluster call failed")]
        public static partial void DispatchFailed(ILogger logger, string connectionId, string room, string @event, Exception exception);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Connection {ConnectionId} could not leave its rooms in the cluster")]
        public static partial void LeaveFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed with 1008: over its message or byte rate")]
        public static partial void RateLimited(ILogger logger, string connectionId);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "Sending to connection {ConnectionId} failed")]
        public static partial void SendFailed(ILogger logger, string connectionId, Exception exception);
    }
}
