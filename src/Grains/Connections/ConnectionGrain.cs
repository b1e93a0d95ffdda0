using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Delivery;
using WsRooms.Grains.Delivery;
using WsRooms.Grains.Hosting;
using WsRooms.Grains.Observability;
using WsRooms.Grains.Sessions;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.Connections;

/// <summary>
/// One WebSocket connection, keyed by its id: the edge host holding the socket, its claims and its rooms.
/// Direct messages reach the socket through here; room membership goes through here so closing can leave every
/// room.
/// </summary>
/// <remarks>
/// <para>
/// Edge hosts open no grain when a client connects: most of what a connection does (root's join_ack, broadcasts
/// that reach it) never touches this grain, and connecting is the one thing every client does at once after an
/// edge host restarts. The edge opens it (<see cref="OpenAsync"/>) before the connection's first join. Anything
/// else that reaches a connection the grain has not heard of (a direct message, a server-side join, a lookup)
/// adopts it first: the id names its edge host (<see cref="ConnectionIds"/>), and that edge host says whether the
/// socket is open and with which claims (<see cref="IEdgeConnectionLookup"/>). So to every caller a connection is
/// known from its connect to its close, as if it had been opened at connect.
/// </para>
/// <para>
/// Calls only go connection → room and connection → edge directory, never back (neither a room nor the directory
/// waits on a connection), so these non-reentrant grains cannot wait on each other.
/// While open, the connection is also listed under its edge host (<see cref="RowPartitions.EdgeConnections"/>, one
/// row): when that edge host dies without closing it, its lapsed lease finds the connection there and closes it.
/// </para>
/// <para>
/// A v2 connection is a session (<c>ConnectionGrain.Session.cs</c>): it can be suspended, keeping its rooms, and
/// resumed on any edge host with its token.
/// </para>
/// </remarks>
internal sealed partial class ConnectionGrain(
    [PersistentState("connection", WsRoomsStorage.Name)] IPersistentState<ConnectionState> state,
    IEdgeOutbox outbox,
    IRowStore store,
    EdgeRoutes routes,
    IOptions<SessionOptions> sessionOptions,
    TimeProvider clock,
    ILogger<ConnectionGrain> logger) : Grain, IConnectionGrain
{
    /// <summary>
    /// How long an edge host has to answer a lookup. It answers from memory, so only a dead or cut-off edge host
    /// takes this long; the grain's other callers wait meanwhile, so it is short.
    /// </summary>
    internal static readonly TimeSpan AdoptTimeout = TimeSpan.FromSeconds(3);

    // The adoption under way, which interleaved calls share (TryAdoptAsync).
    private Task<bool>? _adoption;

    private ConnectionState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        SiloMetrics.Connections.Add(1);
        ActivateSession();
        return base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        SiloMetrics.Connections.Add(-1);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public Task OpenAsync(string edgeId, IReadOnlyDictionary<string, string> claims)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        ArgumentNullException.ThrowIfNull(claims);
        return OpenCoreAsync(edgeId, claims);
    }

    private async Task OpenCoreAsync(string edgeId, IReadOnlyDictionary<string, string> claims)
    {
        // Listed under the edge before the state says open: if the edge then dies, its lease finds us and closes us
        // (closing a connection that never opened is harmless); the other order could leave one nobody closes.
        await store.UpsertAsync(RowPartitions.EdgeConnections(edgeId), Id, "");
        if (State.IsOpen && State.EdgeId.Length > 0 && State.EdgeId != edgeId)
        {
            await store.DeleteAsync(RowPartitions.EdgeConnections(State.EdgeId), Id);
        }

        // Connection ids are unique per socket, so a second open only refreshes what we know.
        State.EdgeId = edgeId;
        State.Claims = new Dictionary<string, string>(claims, StringComparer.Ordinal);
        State.IsOpen = true;
        await state.WriteStateAsync();
    }

    public async Task<bool> JoinAsync(string room)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        if (!State.IsOpen && !await TryAdoptAsync())
        {
            Log.UnknownConnection(logger, Id, nameof(JoinAsync));
            return false;
        }

        // Recorded before the room hears of it: if the room call then fails, closing still visits the room
        // (removing a non-member is harmless), whereas the other order could leave a member nobody removes.
        if (State.Rooms.Add(room))
        {
            await state.WriteStateAsync();
        }

        await GrainFactory.GetGrain<IRoomGrain>(room).AddMemberAsync(Id, State.EdgeId);
        return true;
    }

    public async Task<JoinResult> TryJoinAsync(string room, int maxRooms, int maxMembers) =>
        (await TryJoinWithPositionAsync(room, maxRooms, maxMembers)).Result;

    public async Task<RoomJoin> TryJoinWithPositionAsync(string room, int maxRooms, int maxMembers, JoinHistory? history = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        if (!State.IsOpen && !await TryAdoptAsync())
        {
            Log.UnknownConnection(logger, Id, nameof(TryJoinWithPositionAsync));
            return new RoomJoin(JoinResult.UnknownConnection);
        }

        var isRoot = room == EventNames.RootRoom;
        var isNew = !State.Rooms.Contains(room);
        if (isNew && !isRoot && maxRooms > 0 && State.Rooms.Count(r => r != EventNames.RootRoom) >= maxRooms)
        {
            SiloMetrics.TooManyRooms();
            return new RoomJoin(JoinResult.TooManyRooms); // WsRooms:Quotas:MaxRoomsPerConnection; the edge tells the client
        }

        // Recorded first, as in JoinAsync; undone when the room turns the join down.
        if (isNew)
        {
            State.Rooms.Add(room);
            await state.WriteStateAsync();
        }

        var result = await GrainFactory.GetGrain<IRoomGrain>(room).TryAddMemberAsync(Id, State.EdgeId, isRoot ? 0 : maxMembers, history);
        if (result.Result == JoinResult.RoomFull && isNew && State.Rooms.Remove(room))
        {
            await state.WriteStateAsync();
        }

        return result;
    }

    public async Task<bool> LeaveAsync(string room)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        if (!State.IsOpen && !await TryAdoptAsync())
        {
            Log.UnknownConnection(logger, Id, nameof(LeaveAsync));
            return false;
        }

        if (room == EventNames.RootRoom)
        {
            return true; // root cannot be left (docs/protocol.md)
        }

        // The room first, then our record: if the room call fails we still list the room, and closing removes us.
        await GrainFactory.GetGrain<IRoomGrain>(room).RemoveMemberAsync(Id, State.EdgeId, acknowledge: true);
        if (State.Rooms.Remove(room))
        {
            await state.WriteStateAsync();
        }

        return true;
    }

    public async Task<bool> SendAsync(Message message) => await SendWithPositionAsync(message) >= 0;

    public async Task<long> SendWithPositionAsync(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!State.IsOpen && !await TryAdoptAsync())
        {
            Log.UnknownConnection(logger, Id, nameof(SendAsync));
            return -1;
        }

        if (State.IsSession)
        {
            return SendToSession(message);
        }

        // Whether the edge's queue took it is the outbox's business (it counts and logs drops): at most once.
        outbox.Post(State.EdgeId, EdgeDelivery.ToConnection(Id, message));
        return 0;
    }

    public async Task CloseAsync()
    {
        if (!State.IsOpen && State.Rooms.Count == 0)
        {
            // Never opened, or already closed: nothing to undo.
            DeactivateOnIdle();
            return;
        }

        State.IsOpen = false;
        StopGraceTimer();
        var rooms = State.Rooms.ToArray();
        var removals = new Task[rooms.Length];
        for (var i = 0; i < rooms.Length; i++)
        {
            removals[i] = GrainFactory.GetGrain<IRoomGrain>(rooms[i]).RemoveMemberAsync(Id, State.EdgeId, acknowledge: false);
        }

        try
        {
            await Task.WhenAll(removals);
        }
        catch (Exception ex)
        {
            // Keep the rooms not yet left, closed, so a retried CloseAsync finishes the job.
            for (var i = 0; i < rooms.Length; i++)
            {
                if (removals[i].IsCompletedSuccessfully)
                {
                    State.Rooms.Remove(rooms[i]);
                }
            }

            Log.CloseIncomplete(logger, ex, Id, State.Rooms.Count);
            await state.WriteStateAsync();
            throw;
        }

        var edgeId = State.EdgeId;
        await state.ClearStateAsync();
        if (edgeId.Length > 0)
        {
            // Last: until here a failed close stays listed under its edge, so the edge's lease can finish it.
            await store.DeleteAsync(RowPartitions.EdgeConnections(edgeId), Id);
        }

        DeactivateOnIdle();
    }

    public async Task<ConnectionInfo?> GetInfoAsync() =>
        State.IsOpen || await TryAdoptAsync()
            ? new ConnectionInfo(Id, State.EdgeId, new Dictionary<string, string>(State.Claims, StringComparer.Ordinal), [.. State.Rooms])
            : null;

    /// <summary>
    /// Opens this grain for a connection it has not heard of, when the edge host its id names holds the socket.
    /// False, changing nothing, when the id names no edge, the edge is gone, or the socket is not open there.
    /// </summary>
    /// <remarks>
    /// <see cref="SendWithPositionAsync"/> is interleaved with the other calls, so two of them may want to adopt at once:
    /// they share one adoption, and the state is written once.
    /// </remarks>
    private Task<bool> TryAdoptAsync()
    {
        if (_adoption is { } running)
        {
            return running;
        }

        var adoption = AdoptAsync();
        if (!adoption.IsCompleted)
        {
            _adoption = adoption;
            _ = adoption.ContinueWith(_ => _adoption = null, TaskScheduler.Current);
        }

        return adoption;
    }

    private async Task<bool> AdoptAsync()
    {
        if (!ConnectionIds.TryGetEdgeTag(Id, out var edgeTag) || await routes.ResolveAsync(edgeTag) is not { } route)
        {
            return false;
        }

        IReadOnlyDictionary<string, string>? claims;
        try
        {
            claims = await route.Lookup.AdoptAsync(Id).WaitAsync(AdoptTimeout);
        }
        catch (Exception e)
        {
            // Dead, cut off or restarting: the directory will know soon; until then the connection is unknown.
            routes.Forget(edgeTag);
            Log.LookupFailed(logger, e, Id, route.EdgeId);
            return false;
        }

        if (claims is null)
        {
            return false;
        }

        await OpenCoreAsync(route.EdgeId, claims);
        Log.Adopted(logger, Id, route.EdgeId);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Connection {ConnectionId} is unknown (closed or never opened); {Operation} refused")]
        public static partial void UnknownConnection(ILogger logger, string connectionId, string operation);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: closing could not leave {Rooms} rooms; a later close retries them")]
        public static partial void CloseIncomplete(ILogger logger, Exception exception, string connectionId, int rooms);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Connection {ConnectionId} adopted from edge {EdgeId}")]
        public static partial void Adopted(ILogger logger, string connectionId, string edgeId);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: edge {EdgeId} did not answer the lookup; the connection counts as unknown")]
        public static partial void LookupFailed(ILogger logger, Exception exception, string connectionId, string edgeId);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Session {ConnectionId} on edge {EdgeId} suspended for {GracePeriod}")]
        public static partial void Suspended(ILogger logger, string connectionId, string edgeId, TimeSpan gracePeriod);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Session {ConnectionId} resumed: edge {PreviousEdgeId} -> {EdgeId}")]
        public static partial void Resumed(ILogger logger, string connectionId, string previousEdgeId, string edgeId);

        [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Session {ConnectionId} refused a resume: {Outcome}")]
        public static partial void ResumeRefused(ILogger logger, string connectionId, ResumeOutcome outcome);

        [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Session {ConnectionId} was not resumed within its grace period; it ends")]
        public static partial void GraceExpired(ILogger logger, string connectionId);
    }
}
