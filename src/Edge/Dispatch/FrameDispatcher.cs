using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;
using WsRooms.Edge.Sessions;
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
                // A v2 join may ask for the room's history in its payload; a v1 join's payload is never read.
                return JoinAsync(connection, room, connection.IsV2 ? JoinHistoryRequest.Parse(frame.Payload) : null, cancellationToken);
            case EventNames.Leave when room == EventNames.RootRoom:
                return Task.CompletedTask; // root cannot be left
            case EventNames.Leave:
                return LeaveAsync(connection, room);
        }

        // From here on the server writes the sender's id, whatever the client put in src.
        var message = frame with { Src = connection.Id };

        if (message.Dst.Length != 0)
        {
            return connection.IsV2 ? SendDirectAckedAsync(connection, message, mid) : grains.GetConnection(message.Dst).SendAsync(message);
        }

        if (handlers.TryGet(@event, out var handler))
        {
            return RunHandlerAsync(handler, connection, message, cancellationToken);
        }

        // Room authorization (WsRooms:Rooms or the application's IRoomAuthorizer), without an await when it answers at once.
        var decision = authorizer.IsAllowedAsync(connection.Claims, room, RoomAction.Publish, cancellationToken);
        if (!decision.IsCompletedSuccessfully)
        {
            return PublishWhenAllowedAsync(decision, connection, message, mid);
        }

        if (!decision.Result)
        {
            DenyPublish(connection, message, mid);
            return Task.CompletedTask;
        }

        return Publish(connection, message, mid);
    }

    private async Task PublishWhenAllowedAsync(ValueTask<bool> decision, EdgeConnection connection, Message message, byte[] mid)
    {
        if (!await decision.ConfigureAwait(false))
        {
            DenyPublish(connection, message, mid);
            return;
        }

        await Publish(connection, message, mid).ConfigureAwait(false);
    }

    private Task Publish(EdgeConnection connection, Message message, byte[] mid) =>
        connection.IsV2
            ? PublishAckedAsync(connection, message, mid)
            : grains.GetRoom(message.Room).BroadcastFromMemberAsync(connection.Id, message.Event, message.Payload);

    /// <summary>
    /// A v2 broadcast: acknowledged (docs/protocol.md, "Acknowledged publish"). With a mid the session de-duplicates
    /// it; without one it goes straight to the room. The ack of a logged frame comes through the stream, after the
    /// frame is logged; a refusal is answered here.
    /// </summary>
    private async Task PublishAckedAsync(EdgeConnection connection, Message message, byte[] mid)
    {
        var outcome = mid.Length > 0
            ? await grains.GetConnection(connection.Id).PublishAsync(message.Room, message.Event, message.Payload, mid).ConfigureAwait(false)
            : await grains.GetRoom(message.Room).BroadcastAckedAsync(connection.Id, message.Event, message.Payload, mid).ConfigureAwait(false);
        Refuse(connection, message, mid, outcome);
    }

    /// <summary>A v2 direct message: through the sender's session, which logs it in the recipient's direct log and acks it.</summary>
    private async Task SendDirectAckedAsync(EdgeConnection connection, Message message, byte[] mid)
    {
        var outcome = await grains.GetConnection(connection.Id).SendDirectAsync(message, mid).ConfigureAwait(false);
        Refuse(connection, message, mid, outcome);
    }

    private void Refuse(EdgeConnection connection, Message message, byte[] mid, PublishOutcome outcome)
    {
        if (outcome.Error is { } code)
        {
            Log.PublishRefused(logger, connection.Id, message.Room, message.Event, code);
            connection.TrySend(AckFrames.Refused(message.Room, mid, code));
        }
    }

    private void DenyPublish(EdgeConnection connection, Message message, byte[] mid)
    {
        Log.PublishDenied(logger, connection.Id, message.Room, message.Event);
        metrics.Dropped(DropReasons.PublishDenied);

        // One answer per frame: a v2 sender waits for its ack, so the refusal is the ack.
        connection.TrySend(connection.IsV2
            ? AckFrames.Refused(message.Room, mid, ErrorFrames.PublishDenied)
            : ErrorFrames.Create(message.Room, ErrorFrames.PublishDenied, message.Event));
    }

    /// <summary>
    /// A client's join: room authorization first, then the limits (rooms per connection, members per room), which
    /// the connection and room grains check atomically. A refused join changes no membership and gets an error frame.
    /// </summary>
    private async Task JoinAsync(EdgeConnection connection, string room, JoinHistory? history, CancellationToken cancellationToken)
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
        if (_maxRooms == 0 && _maxMembers == 0 && history is null)
        {
            await grain.JoinAsync(room).ConfigureAwait(false);
            return;
        }

        var result = history is null
            ? await grain.TryJoinAsync(room, _maxRooms, _maxMembers).ConfigureAwait(false)
            : (await grain.TryJoinWithPositionAsync(room, _maxRooms, _maxMembers, history).ConfigureAwait(false)).Result;
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

        [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: {Event} to room {Room} refused ({Code}); answered with its ack")]
        public static partial void PublishRefused(ILogger logger, string connectionId, string room, string @event, string code);
    }
}
