using WsRooms.Protocol;

namespace WsRooms.Delivery;

/// <summary>
/// One thing for an edge host to write to its sockets. Either a room fan-out (<see cref="Connection"/> is null:
/// every local member of <see cref="Message"/>.Room except <see cref="ExceptConnection"/>) or one connection.
/// </summary>
/// <param name="Message">The frame to send, encoded once by the edge for all its recipients.</param>
/// <param name="Connection">The one recipient, or null for a room fan-out.</param>
/// <param name="ExceptConnection">On a fan-out, the sender, who does not get its own broadcast.</param>
/// <param name="Change">
/// On a delivery to one connection, the membership change it carries (join_ack, leave_ack). The edge applies it to
/// its local room index before sending, so every later fan-out from that room, which follows on the same stream,
/// sees it.
/// </param>
/// <param name="Position">
/// The frame's position in its room's log (docs/protocol.md, "Positions"); on a join_ack, the position of the
/// joiner's own new_member; on a direct message to a v2 session, its position in the session's direct log. 0: no
/// position (<c>root</c>, direct messages to v1 connections, leave_ack). v1 sockets never see it.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.EdgeDelivery")]
public sealed record EdgeDelivery(
    [property: Id(0)] Message Message,
    [property: Id(1)] string? Connection = null,
    [property: Id(2)] string? ExceptConnection = null,
    [property: Id(3)] MembershipChange Change = MembershipChange.None,
    [property: Id(4)] long Position = 0)
{
    /// <summary>Fan-out to the local members of the message's room, except <paramref name="except"/>, at <paramref name="position"/> (0: none).</summary>
    public static EdgeDelivery ToRoom(Message message, string? except = null, long position = 0) => new(message, null, except, MembershipChange.None, position);

    /// <summary>To one connection, optionally changing its membership of the message's room.</summary>
    public static EdgeDelivery ToConnection(string connectionId, Message message, MembershipChange change = MembershipChange.None, long position = 0) =>
        new(message, connectionId, null, change, position);
}

/// <summary>How a delivery to one connection changes its membership of the message's room.</summary>
[GenerateSerializer]
public enum MembershipChange : byte
{
    None = 0,
    Joined = 1,
    Left = 2,

    /// <summary>
    /// A resumed session's member moved to this edge host (<c>IRoomGrain.MoveMemberAsync</c>): the edge adds the
    /// connection to the room's local index and sends nothing to the socket. The delivery's position is the room's
    /// last one at the move; live frames of the room follow it on the same stream.
    /// </summary>
    Moved = 3,

    /// <summary>
    /// A frame of a resumed session's replay (a room's frames after the client's position, or its missed direct
    /// messages), at its original position. While a resume is under way on the edge host, it goes to the socket that
    /// is resuming, not to an older socket of the same session still open there.
    /// </summary>
    Replayed = 4,

    /// <summary>
    /// The session was resumed on another socket: the edge host closes this connection's socket with 4001 and tells the
    /// session nothing (the session has moved on to a later attachment). Sent to the edge host of the older socket.
    /// </summary>
    Superseded = 5,
}

/// <summary>
/// The event on an edge host's stream: many deliveries at once, in order. Batching is what lets a burst of
/// broadcasts cost a few stream events, and a few calls to the edge, instead of one each.
/// </summary>
/// <param name="Deliveries">The deliveries, in order.</param>
/// <param name="PublishedAtUtcTicks">
/// When the silo published the batch (<see cref="DateTime.UtcNow"/> ticks; 0: unknown), for the edge's delivery
/// latency metric. Comparable across machines only as far as their clocks agree.
/// </param>
/// <param name="Source">The outbox that published it (one per silo process); empty: not numbered.</param>
/// <param name="Sequence">
/// Increases with every batch <paramref name="Source"/> publishes. A publish that timed out is retried with the same
/// number, so an edge that did get the first one can drop the repeat.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.EdgeBatch")]
public sealed record EdgeBatch(
    [property: Id(0)] EdgeDelivery[] Deliveries,
    [property: Id(1)] long PublishedAtUtcTicks = 0,
    [property: Id(2)] Guid Source = default,
    [property: Id(3)] long Sequence = 0);
