using WsRooms.Protocol;

namespace WsRooms.Edge.Dispatch;

/// <summary>
/// One WebSocket connection as a server-side handler sees it: Safe for concurrent use.
/// </summary>
public interface IRoomConnection
{
    /// <summary>The connection's id, unique across the cluster.</summary>
    string Id { get; }

    /// <summary>What the authorization hook said about the client.</summary>
    IReadOnlyDictionary<string, string> Claims { get; }

    /// <summary>
    /// Queues an encoded v1 frame for this connection. Never blocks. Returns false when
    /// the frame was dropped: the connection is closing, or its send queue is full (which closes it with 1013).
    /// A v2 connection gets the frame with an empty meta appended (a copy).
    /// </summary>
    bool TrySend(ReadOnlyMemory<byte> frame);

    /// <summary>Encodes <paramref name="message"/> in the connection's version (v2: empty meta) and queues it, as <see cref="TrySend(ReadOnlyMemory{byte})"/>.</summary>
    bool TrySend(Message message);

    /// <summary>
    /// Broadcasts <c>(room, event, "", Id, payload)</c> to every member of <paramref name="room"/> except this
    /// connection. Server code is trusted: no membership check.
    /// </summary>
    Task SendToRoomAsync(string room, string @event, byte[] payload);

    /// <summary>
    /// Sends <c>(room, event, dstId, Id, payload)</c> to connection <paramref name="dstId"/> on whichever edge host it
    /// is. Returns false when the id is unknown.
    /// </summary>
    Task<bool> SendToClientAsync(string dstId, string @event, byte[] payload, string room = EventNames.RootRoom);

    /// <summary>Joins this connection to <paramref name="room"/>; it receives <c>join_ack</c> as if it had asked.</summary>
    Task<bool> JoinAsync(string room);

    /// <summary>Removes this connection from <paramref name="room"/>; it receives <c>leave_ack</c> as if it had asked.</summary>
    Task<bool> LeaveAsync(string room);
}

/// <summary>A server-side event handler. <paramref name="message"/>.Src is the sender's id.</summary>
public delegate ValueTask MessageHandler(IRoomConnection connection, Message message, CancellationToken cancellationToken);
