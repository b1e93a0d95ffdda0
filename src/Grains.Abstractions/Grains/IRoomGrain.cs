using WsRooms.Protocol;

namespace WsRooms.Grains;

/// <summary>
/// A room, keyed by its name. It owns the room's membership (which connections, on which edge host) and
/// routes what is sent to the room to the edge hosts that have members in it: one stream event per edge,
/// never one per member.
/// </summary>
/// <remarks>
/// <para>
/// Services that push to clients call <see cref="PublishAsync"/> (or <see cref="PublishWithPositionAsync"/>),
/// <see cref="GetMembersAsync"/> and the history reads.
/// To add or remove a connection, call <see cref="IConnectionGrain.JoinAsync"/> / <see cref="IConnectionGrain.LeaveAsync"/>:
/// the connection grain keeps its own list of rooms and calls the membership methods here.
/// </para>
/// <para>
/// Every room but <c>root</c> keeps a log of the frames it fans out (broadcasts, publishes, <c>new_member</c>,
/// <c>member_left</c>), each at a position one above the previous (docs/protocol.md, "Positions"). The log is in
/// memory and bounded by the retention configured for the room's name (<c>WsRooms:RoomLog</c>); it goes when the
/// room deactivates (an empty room does at once), and a room that comes back continues above every earlier position.
/// A room whose rule makes its log durable also stores it: its frames are delivered once stored, its history reads
/// return stored frames only, and it comes back with its log, one above its last stored position.
/// </para>
/// </remarks>
public interface IRoomGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sends <c>(room, event, "", src, payload)</c> to every member of the room except <paramref name="src"/>
    /// (when it is a member). No membership check on the caller: this is the server-side API.
    /// </summary>
    Task PublishAsync(string @event, byte[] payload, string src = "");

    /// <summary>
    /// <see cref="PublishAsync"/>, returning the position the frame got in the room's log (0 for <c>root</c>, which
    /// has no log). The frame is logged even when nobody is in the room.
    /// </summary>
    Task<long> PublishWithPositionAsync(string @event, byte[] payload, string src = "");

    /// <summary>
    /// The last <paramref name="count"/> frames of the room's log (fewer if it holds fewer), oldest first; with
    /// <paramref name="before"/> above 0, the last ones below that position, e.g. a joiner's
    /// <see cref="RoomJoin.Position"/> for the frames logged before its join. Empty for <c>root</c>.
    /// </summary>
    Task<RoomHistory> GetHistoryAsync(int count, long before = 0);

    /// <summary>
    /// Every frame of the room's log after position <paramref name="after"/>, oldest first; with
    /// <paramref name="before"/> above 0, only those below that position. <see cref="RoomHistory.Complete"/> is false
    /// when the log no longer reaches back to <c>after + 1</c>; <see cref="RoomHistory.Frames"/> then holds what it
    /// still has. Never complete for <c>root</c>.
    /// </summary>
    Task<RoomHistory> GetHistorySinceAsync(long after, long before = 0);

    /// <summary>The ids of the room's members. Empty for <c>root</c> while root presence is off.</summary>
    Task<IReadOnlyList<string>> GetMembersAsync();

    /// <summary>
    /// A client's broadcast: delivered to every other member when <paramref name="senderId"/> is a member,
    /// dropped otherwise (docs/protocol.md: only members broadcast). Returns whether it was delivered.
    /// </summary>
    Task<bool> BroadcastFromMemberAsync(string senderId, string @event, byte[] payload);

    /// <summary>
    /// A v2 client's broadcast (docs/protocol.md, "Acknowledged publish"): <see cref="BroadcastFromMemberAsync"/>, and,
    /// when delivered, its ack <c>(room, wsrooms.ack, "", "", {"mid": …, "seq": …})</c> posted to the sender's edge host
    /// after the frame is logged (in a durable room: stored). <paramref name="mid"/> is the client's message id (empty:
    /// none), which only the ack carries; remembering it is the sender's session's business
    /// (<see cref="IConnectionGrain.PublishAsync(string, string, byte[], byte[])"/>). Refused with <c>not_member</c> when
    /// the sender is not a member; the caller answers that.
    /// </summary>
    Task<PublishOutcome> BroadcastAckedAsync(string senderId, string @event, byte[] payload, byte[] mid);

    /// <summary>
    /// Membership, called by <see cref="IConnectionGrain"/>: adds the connection (on <paramref name="edgeId"/>),
    /// sends it <c>join_ack</c> with every member id, and <c>new_member</c> to the others. Joining again only
    /// repeats the <c>join_ack</c>. Returns false when the connection was already a member.
    /// </summary>
    Task<bool> AddMemberAsync(string connectionId, string edgeId);

    /// <summary>
    /// Membership, called by <see cref="IConnectionGrain.TryJoinWithPositionAsync"/>: <see cref="AddMemberAsync"/>,
    /// unless the connection is not a member and the room already has <paramref name="maxMembers"/> members (0: no
    /// limit); then nothing changes and nobody is told. With <paramref name="history"/> (v2), the frames it asks for
    /// follow the join_ack to the joiner, or a <c>history_gone</c> error frame does (<see cref="JoinHistory"/>); they
    /// are the log's frames before the join, without the joiner's own broadcasts. Returns the outcome with the join's
    /// position in the log.
    /// </summary>
    Task<RoomJoin> TryAddMemberAsync(string connectionId, string edgeId, int maxMembers, JoinHistory? history = null);

    /// <summary>
    /// Membership, called by <see cref="IConnectionGrain"/>: removes the connection and sends <c>member_left</c>
    /// to the others. When <paramref name="acknowledge"/> is set the leaver gets <c>leave_ack</c>, also when it
    /// was not a member. Returns whether it was a member.
    /// </summary>
    Task<bool> RemoveMemberAsync(string connectionId, string edgeId, bool acknowledge);

    /// <summary>
    /// Membership, called by <see cref="IConnectionGrain.ResumeAsync"/>: member <paramref name="connectionId"/> is now
    /// on <paramref name="edgeId"/>. Nobody is told (no <c>new_member</c>, no <c>member_left</c>). In one turn the new
    /// edge is posted a <see cref="WsRooms.Delivery.MembershipChange.Moved"/> delivery and then, when the log reaches
    /// back to <c>after + 1</c>, every frame after <paramref name="after"/> up to the move as
    /// <see cref="WsRooms.Delivery.MembershipChange.Replayed"/> deliveries (without the member's own broadcasts), so the
    /// replay reaches the socket before the room's live frames, which follow on the same stream. Null
    /// <paramref name="after"/>: the client named no position, nothing is replayed. A durable room posts them once
    /// stored, as every delivery of it.
    /// </summary>
    Task<RoomMove> MoveMemberAsync(string connectionId, string edgeId, long? after);

    /// <summary>
    /// Root without presence: the edge host receives every broadcast to this room and fans it out to all of
    /// its connections, so connecting never calls a room grain. Called once per edge at start-up.
    /// </summary>
    Task AttachEdgeAsync(string edgeId);

    /// <summary>Undoes <see cref="AttachEdgeAsync"/> when an edge host stops.</summary>
    Task DetachEdgeAsync(string edgeId);
}
