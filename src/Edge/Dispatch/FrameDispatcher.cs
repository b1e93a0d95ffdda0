using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Dispatch;

/// <summary>
/// What one client frame does, in the order docs/protocol.md gives: server-only events are dropped; join; leave; a set dst is a
/// direct message; a registered handler runs; anything else is a broadcast to the room. The sender's id always
/// replaces the client's src.
/// </summary>
internal sealed partial class FrameDispatcher(
    IGrainFactory grains,
    HandlerRegistry handlers,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<FrameDispatcher> logger,
    IRoomAuthorizer authorizer,
    EdgeMetrics metrics)
{
    private readonly bool _rootPresence = options.Value.RootPresence;
    private readonly int _maxRooms = options.Value.Quotas.MaxRoomsPerConnection;
    private readonly int _maxMembers = options.Value.Quotas.MaxMembersPerRoom;

    /// <summary>
    /// Handles one parsed frame from <paramref name="connection"/>, with its v2 message id <paramref name="mid"/> (empty:
    /// none; always empty on v1). Returns when the cluster has taken it, so frames keep their order.
    /// </summary>
    public Task DispatchAsync(EdgeConnection connection, Message frame, byte[] mid, CancellationToken cancellationToken)
    {
        var room = frame.Room;
        var @event = frame.Event;

        // The protocol's own namespace (wsrooms.*) is the server's, on v1 as on v2; a resume socket's wsrooms.resume is
        // read before the connection runs, so it never reaches here.
        if (EventNames.IsServerOnly(@event) || EventNames.IsProtocolReserved(@event))
        {
            Log.ForgedEvent(logger, connection.Id, @event);
            metrics.Dropped(DropReasons.ForgedEvent);
            return Task.CompletedTask;
        }

        switch (@event)
        {
            case EventNames.Join when room == EventNames.RootRoom:
                // Everyone is in root; joining again only repeats the join_ack.
                return _rootPresence ? grains.GetConnection(connection.Id).JoinAsync(room) : SendRootJoinAck(connection);
            case EventNames.Join:
                return JoinAsync(connection, room, cancellationToken);
            case EventNames.Leave when room == EventNames.RootRoom:
                return Task.CompletedTask; // root cannot be left
            case EventNames.Leave:
                return LeaveAsync(connection, room);
        }

        // From here on the server writes the sender's id, whatever the client put in src.
        var message = frame with { Src = connection.Id };

        if (message.Dst.Length != 0)
        {
            return grains.GetConnection(message.Dst).SendAsync(message);
        }

        if (handlers.TryGet(@event, out var handler))
        {
            return RunHandlerAsync(handler, connection, message, cancellationToken);
        }

        // Room authorization (WsRooms:Rooms or the application's IRoomAuthorizer), without an await when it answers at once.
        var decision = authorizer.IsAllowedAsync(connection.Claims, room, RoomAction.Publish, cancellationToken);
        if (!decision.IsCompletedSuccessfully)
        {
            return PublishWhenAllowedAsync(decision, connection, message);
        }

        if (!decision.Result)
        {
            DenyPublish(connection, message);
            return Task.CompletedTask;
        }

        return grains.GetRoom(room).BroadcastFromMemberAsync(connection.Id, @event, message.Payload);
    }

    private async Task PublishWhenAllowedAsync(ValueTask<bool> decision, EdgeConnection connection, Message message)
    {
        if (!await decision.ConfigureAwait(false))
        {
            DenyPublish(connection, message);
            return;
        }

        await grains.GetRoom(message.Room).BroadcastFromMemberAsync(connection.Id, message.Event, message.Payload).ConfigureAwait(false);
    }

    private void DenyPublish(EdgeConnection connection, Message message)
    {
        Log.PublishDenied(logger, connection.Id, message.Room, message.Event);
        metrics.Dropped(DropReasons.PublishDenied);
        connection.TrySend(ErrorFrames.Create(message.Room, ErrorFrames.PublishDenied, message.Event));
    }

    /// <summary>
    /// A client's join: room authorization first, then the limits (rooms per connection, members per room), which
    /// the connection and room grains check atomically. A refused join changes no membership and gets an error frame.
    /// </summary>
    private async Task JoinAsync(EdgeConnection connection, string room, CancellationToken cancellationToken)
    {
        if (!await authorizer.IsAllowedAsync(connection.Claims, room, RoomAction.Join, cancellationToken).ConfigureAwait(false))
        {
            Log.JoinDenied(logger, connection.Id, room);
            metrics.Dropped(DropReasons.JoinDenied);
            connection.TrySend(ErrorFrames.Create(room, ErrorFrames.JoinDenied, EventNames.Join));
            return;
        }

        await connection.EnsureRegisteredAsync().ConfigureAwait(false);
        var grain = grains.GetConnection(connection.Id);
        if (_maxRooms == 0 && _maxMembers == 0)
        {
            await grain.JoinAsync(room).ConfigureAwait(false);
            return;
        }

        var result = await grain.TryJoinAsync(room, _maxRooms, _maxMembers).ConfigureAwait(false);
        var (code, reason) = result switch
        {
            JoinResult.TooManyRooms => (ErrorFrames.TooManyRooms, DropReasons.TooManyRooms),
            JoinResult.RoomFull => (ErrorFrames.RoomFull, DropReasons.RoomFull),
            _ => (null, null),
        };
        if (code is not null)
        {
            Log.JoinLimited(logger, connection.Id, room, code);
            metrics.Dropped(reason!);
            connection.TrySend(ErrorFrames.Create(room, code, EventNames.Join));
        }
    }

    /// <summary>
    /// A client's leave. A connection that never joined a room is in none, so it has its leave_ack from here, as
    /// docs/protocol.md asks (leaving a room one is not in still answers leave_ack), without the cluster.
    /// </summary>
    private Task LeaveAsync(EdgeConnection connection, string room)
    {
        if (!connection.IsRegistered)
        {
            connection.TrySend(Message.FromText(room, EventNames.LeaveAck, "", connection.Id, connection.Id));
            return Task.CompletedTask;
        }

        return grains.GetConnection(connection.Id).LeaveAsync(room);
    }

    /// <summary>
    /// The first frame of every connection when root presence is off: <c>(root, join_ack, "", id, ["id"])</c>,
    /// sent by the edge itself so that connecting never funnels through one root grain.
    /// </summary>
    public static Task SendRootJoinAck(EdgeConnection connection)
    {
        connection.TrySend(RootJoinAck(connection.Id));
        return Task.CompletedTask;
    }

    internal static Message RootJoinAck(string connectionId) =>
        new(EventNames.RootRoom, EventNames.JoinAck, "", connectionId, JsonSerializer.SerializeToUtf8Bytes(new[] { connectionId }));

    private async Task RunHandlerAsync(MessageHandler handler, EdgeConnection connection, Message message, CancellationToken cancellationToken)
    {
        try
        {
            await handler(connection, message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A failing handler is the application's bug, not the client's: log it and keep the connection.
            Log.HandlerFailed(logger, message.Event, connection.Id, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Connection {ConnectionId} sent server-only event {Event}; dropped")]
        public static partial void ForgedEvent(ILogger logger, string connectionId, string @event);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Handler for event {Event} failed on connection {ConnectionId}")]
        public static partial void HandlerFailed(ILogger logger, string @event, string connectionId, Exception exception);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Connection {ConnectionId} may not join room {Room}; refused")]
        public static partial void JoinDenied(ILogger logger, string connectionId, string room);

        [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "Connection {ConnectionId} may not publish {Event} to room {Room}; dropped")]
        public static partial void PublishDenied(ILogger logger, string connectionId, string room, string @event);

        [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Connection {ConnectionId}: join of room {Room} refused by a limit ({Code})")]
        public static partial void JoinLimited(ILogger logger, string connectionId, string room, string code);
    }
}
