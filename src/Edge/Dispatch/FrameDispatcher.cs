using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Dispatch;

/// <summary>
/// What one client frame does, in PROTOCOL.md's order: server-only events are dropped; join; leave; a set dst is a
/// direct message; a registered handler runs; anything else is a broadcast to the room. The sender's id always
/// replaces the client's src.
/// </summary>
internal sealed partial class FrameDispatcher(
    IGrainFactory grains,
    HandlerRegistry handlers,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<FrameDispatcher> logger)
{
    private readonly bool _rootPresence = options.Value.RootPresence;

    /// <summary>Handles one parsed frame from <paramref name="connection"/>. Returns when the cluster has taken it, so frames keep their order.</summary>
    public Task DispatchAsync(EdgeConnection connection, Message frame, CancellationToken cancellationToken)
    {
        var room = frame.Room;
        var @event = frame.Event;

        if (EventNames.IsServerOnly(@event))
        {
            Log.ForgedEvent(logger, connection.Id, @event);
            return Task.CompletedTask;
        }

        switch (@event)
        {
            case EventNames.Join when room == EventNames.RootRoom:
                // Everyone is in root; joining again only repeats the join_ack.
                return _rootPresence ? grains.GetConnection(connection.Id).JoinAsync(room) : SendRootJoinAck(connection);
            case EventNames.Join:
                return grains.GetConnection(connection.Id).JoinAsync(room);
            case EventNames.Leave when room == EventNames.RootRoom:
                return Task.CompletedTask; // root cannot be left
            case EventNames.Leave:
                return grains.GetConnection(connection.Id).LeaveAsync(room);
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

        return grains.GetRoom(room).BroadcastFromMemberAsync(connection.Id, @event, message.Payload);
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
    }
}
