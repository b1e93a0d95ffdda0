using WsRooms.Edge.Dispatch;
using WsRooms.Protocol;

namespace WsRooms.EdgeHost;

/// <summary>The sample server-side handler: <c>ping</c> is answered with <c>pong</c> to the sender, carrying the same payload.</summary>
public static class PingHandler
{
    public const string EventName = "ping";

    public static ValueTask HandleAsync(IRoomConnection connection, Message message, CancellationToken cancellationToken)
    {
        connection.TrySend(new Message(message.Room, "pong", connection.Id, "", message.Payload));
        return ValueTask.CompletedTask;
    }
}
