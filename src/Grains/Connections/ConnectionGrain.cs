using Microsoft.Extensions.Logging;
using WsRooms.Delivery;
using WsRooms.Grains;
using WsRooms.Hosting;
using WsRooms.Observability;
using WsRooms.Protocol;
using WsRooms.Storage;

namespace WsRooms.Connections;

/// <summary>
/// One WebSocket connection, keyed by its id: the edge host holding the socket, its claims and its rooms.
/// Direct messages reach the socket through here; room membership goes through here so closing can leave every
/// room.
/// </summary>
/// <remarks>
/// Calls only go connection → room, never back (a room never calls a connection), so the two non-reentrant grains
/// cannot wait on each other.
/// While open, the connection is also listed under its edge host (<see cref="RowPartitions.EdgeConnections"/>, one
/// row): when that edge host dies without closing it, its lapsed lease finds the connection there and closes it.
/// </remarks>
internal sealed partial class ConnectionGrain(
    [PersistentState("connection", WsRoomsStorage.Name)] IPersistentState<ConnectionState> state,
    IEdgeOutbox outbox,
    IRowStore store,
    ILogger<ConnectionGrain> logger) : Grain, IConnectionGrain
{
    private ConnectionState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        SiloMetrics.Connections.Add(1);
        return base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        SiloMetrics.Connections.Add(-1);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task OpenAsync(string edgeId, IReadOnlyDictionary<string, string> claims)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        ArgumentNullException.ThrowIfNull(claims);

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
        if (!State.IsOpen)
        {
            LogUnknownConnection(logger, Id, nameof(JoinAsync));
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

    public async Task<JoinResult> TryJoinAsync(string room, int maxRooms, int maxMembers)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        if (!State.IsOpen)
        {
            LogUnknownConnection(logger, Id, nameof(TryJoinAsync));
            return JoinResult.UnknownConnection;
        }

        var isRoot = room == EventNames.RootRoom;
        var isNew = !State.Rooms.Contains(room);
        if (isNew && !isRoot && maxRooms > 0 && State.Rooms.Count(r => r != EventNames.RootRoom) >= maxRooms)
        {
            SiloMetrics.TooManyRooms();
            return JoinResult.TooManyRooms; // WsRooms:Quotas:MaxRoomsPerConnection; the edge tells the client
        }

        // Recorded first, as in JoinAsync; undone when the room turns the join down.
        if (isNew)
        {
            State.Rooms.Add(room);
            await state.WriteStateAsync();
        }

        var result = await GrainFactory.GetGrain<IRoomGrain>(room).TryAddMemberAsync(Id, State.EdgeId, isRoot ? 0 : maxMembers);
        if (result == JoinResult.RoomFull && isNew && State.Rooms.Remove(room))
        {
            await state.WriteStateAsync();
        }

        return result;
    }

    public async Task<bool> LeaveAsync(string room)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        if (!State.IsOpen)
        {
            LogUnknownConnection(logger, Id, nameof(LeaveAsync));
            return false;
        }

        if (room == EventNames.RootRoom)
        {
            return true; // root cannot be left (PROTOCOL.md)
        }

        // The room first, then our record: if the room call fails we still list the room, and closing removes us.
        await GrainFactory.GetGrain<IRoomGrain>(room).RemoveMemberAsync(Id, State.EdgeId, acknowledge: true);
        if (State.Rooms.Remove(room))
        {
            await state.WriteStateAsync();
        }

        return true;
    }

    public Task<bool> SendAsync(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!State.IsOpen)
        {
            LogUnknownConnection(logger, Id, nameof(SendAsync));
            return Task.FromResult(false);
        }

        // Whether the edge's queue took it is the outbox's business (it counts and logs drops): at most once.
        outbox.Post(State.EdgeId, EdgeDelivery.ToConnection(Id, message));
        return Task.FromResult(true);
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

            LogCloseIncomplete(logger, ex, Id, State.Rooms.Count);
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

    public Task<ConnectionInfo?> GetInfoAsync() =>
        Task.FromResult(State.IsOpen
            ? new ConnectionInfo(Id, State.EdgeId, new Dictionary<string, string>(State.Claims, StringComparer.Ordinal), [.. State.Rooms])
            : null);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Connection {ConnectionId} is unknown (closed or never opened); {Operation} refused")]
    private static partial void LogUnknownConnection(ILogger logger, string connectionId, string operation);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: closing could not leave {Rooms} rooms; a later close retries them")]
    private static partial void LogCloseIncomplete(ILogger logger, Exception exception, string connectionId, int rooms);
}
