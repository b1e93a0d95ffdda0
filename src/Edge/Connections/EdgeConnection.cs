using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// One accepted WebSocket: its receive loop (socket → parse → dispatch), its send loop (bounded queue → socket)
/// and its single, exactly-once ending. Shaped after ASP.NET Core SignalR's WebSocketsServerTransport: two loops
/// joined with WhenAny, a bounded wait for the close handshake, then Abort.
/// </summary>
internal sealed partial class EdgeConnection : IRoomConnection
{
    private readonly WebSocket _socket;
    private readonly WsRoomsEdgeOptions _options;
    private readonly ConnectionRegistry _registry;
    private readonly FrameDispatcher _dispatcher;
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;
    private readonly Channel<ReadOnlyMemory<byte>> _sendQueue;
    private readonly HashSet<string> _localRooms = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _aborted = new();
    private readonly TaskCompletionSource _closingStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closing;
    private WebSocketCloseStatus _closeStatus = CloseCodes.Normal;
    private string _closeReason = "";
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _cleanup = Task.CompletedTask;

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
        _sendQueue = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails fast instead of dropping silently
        });
    }

    public string Id { get; }

    /// <summary>The edge's instruments (issue #6); null in code that builds a connection without them.</summary>
    internal EdgeMetrics? Metrics { get; init; }

    /// <summary>This connection's token buckets, when WsRooms:Quotas sets a rate.</summary>
    internal ConnectionRateLimiter? RateLimiter { get; init; }

    public IReadOnlyDictionary<string, string> Claims { get; }

    /// <summary>True once the connection has started to end; nothing more is sent to it.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>The close code this connection ended (or is ending) with.</summary>
    public WebSocketCloseStatus CloseStatus => _closeStatus;

    /// <summary>Completes when the connection has ended and left every room.</summary>
    public Task Ended => _ended.Task;

    private IConnectionGrain Grain => _grains.GetConnection(Id);

    // ----- IRoomConnection: what handlers and the fan-out use -----

    public bool TrySend(ReadOnlyMemory<byte> frame)
    {
        if (IsClosing)
        {
            return false;
        }

        if (_sendQueue.Writer.TryWrite(frame))
        {
            return true;
        }

        // The client does not read as fast as the room talks. Holding more would let one slow reader grow the
        // edge's memory without bound, so it goes, as in the seed.
        Log.SlowConsumer(_logger, Id, _options.SendQueueCapacity);
        BeginClose(CloseCodes.SlowConsumer, "send queue overflow: slow consumer");
        return false;
    }

    public bool TrySend(Message message) => TrySend(message.ToBytes());

    public Task SendToRoomAsync(string room, string @event, byte[] payload) =>
        _grains.GetRoom(room).PublishAsync(@event, payload, Id);

    public Task<bool> SendToClientAsync(string dstId, string @event, byte[] payload, string room = EventNames.RootRoom) =>
        _grains.GetConnection(dstId).SendAsync(new Message(room, @event, dstId, Id, payload));

    public Task<bool> JoinAsync(string room) => Grain.JoinAsync(room);

    public Task<bool> LeaveAsync(string room) => Grain.LeaveAsync(room);

    // ----- local room index, kept by ConnectionRegistry under its own rules -----

    internal bool AddLocalRoom(string room)
    {
        lock (_localRooms)
        {
            return !IsClosing && _localRooms.Add(room);
        }
    }

    internal bool RemoveLocalRoom(string room)
    {
        lock (_localRooms)
        {
            return _localRooms.Remove(room);
        }
    }

    internal string[] TakeLocalRooms()
    {
        lock (_localRooms)
        {
            var rooms = _localRooms.ToArray();
            _localRooms.Clear();
            return rooms;
        }
    }

    // ----- lifecycle -----

    /// <summary>Runs the connection until it has ended and left every room.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        using var abortRegistration = requestAborted.Register(static state => ((EdgeConnection)state!).Abort(), this);

        var receiving = ReceiveLoopAsync();
        var sending = SendLoopAsync();
        // The ending is decided by a loop ending, or from outside (overflow seen by the fan-out, drain on shutdown).
        await Task.WhenAny(receiving, sending, _closingStarted.Task).ConfigureAwait(false);
        BeginClose(CloseCodes.Normal, "");
        try
        {
            await Task.WhenAll(receiving, sending).WaitAsync(_options.CloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer did not finish the close handshake in time.
            Abort();
            await Task.WhenAll(receiving, sending).ConfigureAwait(false);
        }

        await _cleanup.ConfigureAwait(false);
        Log.Closed(_logger, Id, (int)_closeStatus, _closeReason);
        _ended.TrySetResult();
    }

    /// <summary>
    /// Starts the one ending of this connection: no more sends, leave the local index and every room now (the
    /// others get member_left at once, not after the handshake), then close the socket with <paramref name="status"/>.
    /// Only the first call counts.
    /// </summary>
    public void BeginClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        _closeStatus = status;
        _closeReason = reason;
        _sendQueue.Writer.TryComplete();
        _registry.Remove(this);
        _cleanup = LeaveClusterAsync();
        _closingStarted.TrySetResult();
    }

    private void Abort()
    {
        BeginClose(CloseCodes.InternalError, "aborted");
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Abort();
    }

    private async Task LeaveClusterAsync()
    {
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

    private async Task ReceiveLoopAsync()
    {
        var maxMessage = _options.Limits.MaxMessageBytes;
        try
        {
            while (true)
            {
                // Wait for data without holding a buffer, so an idle connection costs no buffer memory.
                var peek = await _socket.ReceiveAsync(Memory<byte>.Empty, _aborted.Token).ConfigureAwait(false);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    BeginClose(CloseCodes.Normal, "");
                    return;
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

                // One byte more than the limit, so that "over the limit" is seen before anything more is buffered.
                var buffer = ArrayPool<byte>.Shared.Rent(maxMessage + 1);
                try
                {
                    var (kind, length) = await ReadMessageAsync(buffer, maxMessage).ConfigureAwait(false);
                    switch (kind)
                    {
                        case ReadKind.Close:
                            BeginClose(CloseCodes.Normal, "");
                            return;
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
    }

    private async ValueTask<(ReadKind Kind, int Length)> ReadMessageAsync(byte[] buffer, int maxMessage)
    {
        var length = 0;
        var tooBig = false;
        while (true)
        {
            // Past the limit the rest of the message is read into the same spare space and thrown away.
            var target = tooBig ? buffer.AsMemory() : buffer.AsMemory(length);
            var result = await _socket.ReceiveAsync(target, _aborted.Token).ConfigureAwait(false);
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
            await _dispatcher.DispatchAsync(this, message!, _aborted.Token).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_aborted.IsCancellationRequested)
        {
            // At most once: a frame the cluster could not take now is dropped, the connection lives on.
            Log.DispatchFailed(_logger, Id, message!.Room, message.Event, e);
            Metrics?.Dropped(DropReasons.DispatchFailed);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _sendQueue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    if (IsClosing && _closeStatus == CloseCodes.SlowConsumer)
                    {
                        // Do not make a slow consumer wait through its backlog before it hears why it is dropped.
                        break;
                    }

                    await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, _aborted.Token).ConfigureAwait(false);
                    Metrics?.FrameOut(frame.Length);
                }

                if (IsClosing && _closeStatus == CloseCodes.SlowConsumer)
                {
                    break;
                }
            }

            // The queue was completed: the connection is closing. Say why, if the socket can still carry it.
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_aborted.Token);
                timeout.CancelAfter(_options.CloseTimeout);
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            BeginClose(CloseCodes.InternalError, "connection lost");
        }
    }

    private enum ReadKind
    {
        Binary,
        Text,
        TooBig,
        Close,
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
    }
}
