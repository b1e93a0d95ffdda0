using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Sessions;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// One accepted WebSocket: its receive loop (socket → parse → dispatch, <c>EdgeConnection.Receive.cs</c>), its sends
/// (bounded queue → socket, <c>EdgeConnection.Send.cs</c>) and its single, exactly-once ending
/// (<c>EdgeConnection.Close.cs</c>). Shaped after ASP.NET Core SignalR's WebSocketsServerTransport (a bounded wait
/// for the close handshake, then Abort), but built so that an idle connection holds as little as possible, because
/// an edge host's memory is mostly its idle sockets: the receive loop waits with a zero-byte read and no buffer,
/// frames wait in a <see cref="FrameQueue"/> that holds no array while at most one frame waits, the sender runs
/// only while there is something to send, and the objects only an ending needs (the close timer, the wait for the
/// close frame) are made when the ending starts.
/// </summary>
/// <remarks>
/// Every field lives in this file, so that what one connection costs can be read in one place.
/// </remarks>
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

    /// <summary>The edge's instruments; null in code that builds a connection without them (the benchmarks).</summary>
    internal EdgeMetrics? Metrics { get; init; }

    /// <summary>This connection's token buckets, when WsRooms:Quotas sets a rate.</summary>
    internal ConnectionRateLimiter? RateLimiter { get; init; }

    /// <summary>The edge host holding the socket, as the cluster knows it (<see cref="EdgeIdentity.Id"/>).</summary>
    internal string EdgeId { get; init; } = "";

    public IReadOnlyDictionary<string, string> Claims { get; }

    /// <summary>The v2 session of this socket; null on a v1 connection, which is all v1 pays for v2.</summary>
    internal SessionLink? Session { get; init; }

    /// <summary>True when the socket speaks v2 (six-field frames, positions in meta).</summary>
    internal bool IsV2 => Session is not null;

    /// <summary>The identity a session is bound to: the JWT <c>sub</c> claim, or empty when there is none.</summary>
    internal string Identity => Claims.TryGetValue("sub", out var sub) ? sub : "";

    private IConnectionGrain Grain => _grains.GetConnection(Id);

    // ----- IRoomConnection: what handlers and the fan-out use -----

    /// <remarks>
    /// <paramref name="frame"/> is a v1 frame, as handlers encode them; a v2 socket gets it with an empty meta appended.
    /// </remarks>
    public bool TrySend(ReadOnlyMemory<byte> frame) =>
        TrySendEncoded(Session is null ? frame : WireEncoding.AppendMeta(frame.Span, 0));

    public bool TrySend(Message message) => TrySendEncoded(WireEncoding.Encode(message, IsV2, 0));

    /// <summary>Queues <paramref name="message"/> at <paramref name="position"/> (0: none), which only a v2 socket sees.</summary>
    internal bool TrySend(Message message, long position) => TrySendEncoded(WireEncoding.Encode(message, IsV2, position));

    /// <summary>
    /// Queues, on a v2 socket, a room's frame sent to this connection alone (its history on join, or a resume's
    /// replay), at <paramref name="position"/>. Such frames come once and are bounded by the room log's retention, so
    /// they do not count against <see cref="WsRoomsEdgeOptions.SendQueueCapacity"/>: a replay longer than the queue
    /// must not make the client a slow consumer before it could read.
    /// </summary>
    internal bool TrySendLogged(Message message, long position) =>
        TrySendEncoded(WireEncoding.Encode(message, IsV2, position), bounded: !IsV2);

    /// <summary>Queues bytes already encoded for this socket's version. Never blocks; false when the frame was dropped.</summary>
    internal bool TrySendEncoded(ReadOnlyMemory<byte> frame, bool bounded = true)
    {
        bool queued, startSending = false;
        lock (_gate)
        {
            if (_closing != 0)
            {
                return false;
            }

            var session = Session;
            queued = !bounded || _queue.Count < _options.SendQueueCapacity + (session?.QueueAllowance ?? 0);
            if (!bounded)
            {
                session!.QueueAllowance++;
            }

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
            // edge's memory without bound, so it goes (docs/protocol.md, close code 1013).
            Log.SlowConsumer(_logger, Id, _options.SendQueueCapacity);
            BeginClose(CloseCodes.SlowConsumer, "send queue overflow: slow consumer", suspends: true);
            return false;
        }

        if (startSending)
        {
            // On the thread pool: the fan-out thread only queues, and the sends of one broadcast spread over every core.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

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
}
