namespace WsRooms.Edge.Sessions;

/// <summary>
/// What a v2 connection knows of its session (docs/protocol.md, "Sessions"). Only v2 connections have one, so a v1
/// connection pays one null reference for all of v2. Its fields are read and written under the owning connection's
/// lock.
/// </summary>
internal sealed class SessionLink
{
    /// <summary>True once the cluster has opened (or resumed) the session for this socket; <see cref="Attachment"/> is then known.</summary>
    public bool IsAttached { get; set; }

    /// <summary>Which socket of the session this is (<c>SessionStart.Attachment</c>), handed back when the socket ends.</summary>
    public long Attachment { get; set; }

    /// <summary>
    /// How the socket's ending left the session: true when it suspends it (no closing handshake, or the server's own
    /// 1001, 1012, 1013 or 4001), false when it ends it. Set by the first ending.
    /// </summary>
    public bool Suspends { get; set; }

    /// <summary>
    /// How many frames of a replay or a history are queued beyond the send queue's capacity: such frames are bounded by
    /// the room logs' retention and come once, so they do not make the connection a slow consumer.
    /// </summary>
    public int QueueAllowance { get; set; }

    /// <summary>
    /// True while a <c>Superseded</c> delivery for the older socket of this session, on this edge host, is still to
    /// come after this socket was promoted: that delivery closed nothing yet and must not close this one.
    /// </summary>
    public bool AwaitsSuperseded { get; set; }
}
