using Orleans.Concurrency;
using WsRooms.Protocol;

namespace WsRooms.Grains;

/// <summary>
/// One WebSocket connection, keyed by its id. It knows the edge host that holds the socket, the claims the
/// authorization hook gave it and the rooms it is in. Everything addressed to one connection goes through it.
/// </summary>
public interface IConnectionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Edge host: the connection is open on <paramref name="edgeId"/>. Edge hosts call it before a connection's first
    /// join, not on connect; until then the grain adopts the connection from its edge host when anything asks for it
    /// (see <see cref="ConnectionIds"/>), so callers see no difference.
    /// </summary>
    Task OpenAsync(string edgeId, IReadOnlyDictionary<string, string> claims);

    /// <summary>
    /// Edge host: the connection ended (close, error, timeout, overflow, drain). It leaves every room, the other
    /// members get <c>member_left</c>, and its id stops resolving. Safe to call more than once.
    /// </summary>
    Task CloseAsync();

    /// <summary>
    /// Joins <paramref name="room"/>: the client receives <c>join_ack</c> as if it had asked, the others
    /// <c>new_member</c>. Returns false when the connection is unknown (closed or never opened).
    /// </summary>
    Task<bool> JoinAsync(string room);

    /// <summary>
    /// A client's join under limits (the edge host calls it when <c>WsRooms:Quotas</c> sets them): refused, changing
    /// nothing, when the connection is already in <paramref name="maxRooms"/> rooms (root not counted) or the room
    /// has <paramref name="maxMembers"/> members. 0 means no limit. Otherwise exactly <see cref="JoinAsync"/>.
    /// </summary>
    Task<JoinResult> TryJoinAsync(string room, int maxRooms, int maxMembers);

    /// <summary>
    /// <see cref="TryJoinAsync"/>, also returning where the join stands in the room's log: the position of the
    /// joiner's <c>new_member</c>, which its join_ack carries too (<see cref="RoomJoin.Position"/>). 0 for either
    /// limit means no limit. With <paramref name="history"/> (a v2 join's payload), the room sends the history asked
    /// for right after the join_ack (<see cref="IRoomGrain.TryAddMemberAsync"/>).
    /// </summary>
    Task<RoomJoin> TryJoinWithPositionAsync(string room, int maxRooms, int maxMembers, JoinHistory? history = null);

    /// <summary>
    /// Edge host: this v2 session broadcasts to <paramref name="room"/> with message id <paramref name="mid"/> (1–64
    /// bytes of UTF-8). A mid this session had accepted before, in any room or direct message and across resumes, is not
    /// delivered again: its first ack is posted again (<see cref="PublishOutcome.Repeated"/>). Otherwise
    /// <see cref="IRoomGrain.BroadcastAckedAsync"/>, remembering the mid once accepted; a refusal is not remembered.
    /// The session remembers mids for <c>WsRooms:Sessions:MidRetention</c> (at least as long as a frame stays in a room
    /// log by default) and at most <c>WsRooms:Sessions:MaxMids</c> of them.
    /// </summary>
    Task<PublishOutcome> PublishAsync(string room, string @event, byte[] payload, byte[] mid);

    /// <summary>
    /// Edge host: this v2 session sends the direct message <paramref name="message"/> (its <c>Src</c> is this
    /// connection) with message id <paramref name="mid"/> (empty: none). As <see cref="PublishAsync(string, string, byte[], byte[])"/>
    /// for the mid; the message goes through <see cref="SendWithPositionAsync"/> of its <c>Dst</c>, and on success the
    /// ack with the recipient's direct-log position is posted to this session's edge host. Refused with
    /// <c>unknown_dst</c> when the recipient is unknown.
    /// </summary>
    Task<PublishOutcome> SendDirectAsync(Message message, byte[] mid);

    /// <summary>
    /// Leaves <paramref name="room"/>: the client receives <c>leave_ack</c> as if it had asked, the others
    /// <c>member_left</c>. <c>root</c> cannot be left. Returns false when the connection is unknown.
    /// </summary>
    Task<bool> LeaveAsync(string room);

    /// <summary>
    /// Delivers <paramref name="message"/> to this connection exactly as given (dst and src included).
    /// Returns false when the connection is unknown; the message is then dropped.
    /// </summary>
    Task<bool> SendAsync(Message message);

    /// <summary>What the cluster knows of the connection, or null when it is unknown.</summary>
    Task<ConnectionInfo?> GetInfoAsync();

    /// <summary>
    /// Edge host, at a v2 connect: the connection is open on <paramref name="edgeId"/> as a session of
    /// <paramref name="identity"/> (the authenticated user, e.g. the JWT <c>sub</c>; empty when anonymous). Returns
    /// its first resume token, the grace period and its attachment (docs/protocol.md, "Sessions").
    /// </summary>
    Task<SessionStart> OpenSessionAsync(string edgeId, IReadOnlyDictionary<string, string> claims, string identity);

    /// <summary>
    /// Edge host: the session's socket <paramref name="attachment"/> ended without ending the session (an abort, a
    /// keepalive timeout, the edge's own 1001, 1012 or 1013). It stays in its rooms and nobody is told; direct messages
    /// wait in its direct log; it ends as <see cref="CloseAsync"/> does unless resumed within the grace period. False,
    /// changing nothing, when it is not a session, is already suspended, or has moved on to a later attachment.
    /// </summary>
    Task<bool> SuspendAsync(long attachment);

    /// <summary>
    /// Edge host: the session's socket <paramref name="attachment"/> ended in a way that ends the session (a close the
    /// client started, or one the server started for a protocol reason): <see cref="CloseAsync"/>, unless the session
    /// has moved on to a later attachment.
    /// </summary>
    Task CloseSessionAsync(long attachment);

    /// <summary>
    /// Edge host, on a resume socket: re-attaches the session to the request's edge host when its token is the
    /// session's current token and its identity the session's. The token is spent and a new one issued. In order, the
    /// grain posts a <see cref="WsRooms.Delivery.MembershipChange.Superseded"/> delivery to the edge host of a socket
    /// still open (<see cref="SessionResume.PreviousSocketOpen"/>), the missed direct messages to the new edge host as
    /// <see cref="WsRooms.Delivery.MembershipChange.Replayed"/> deliveries, and has each room move the member and replay
    /// from the client's position (<see cref="IRoomGrain.MoveMemberAsync"/>). A token presented with a foreign identity
    /// is refused and stays valid. Call it on the grain <see cref="SessionTokens.TryGetSessionId"/> names
    /// (<see cref="WsRoomsGrainFactoryExtensions.ResumeSessionAsync"/>).
    /// </summary>
    Task<SessionResume> ResumeAsync(SessionResumeRequest request);

    /// <summary>
    /// <see cref="SendAsync"/>, returning the message's position in the session's direct log: 0 when the connection is
    /// not a v2 session (no log), -1 when it is unknown (the message is dropped). A suspended session keeps the message
    /// in its direct log for its resume.
    /// </summary>
    /// <remarks>
    /// Interleaved with the grain's other calls: a session's <see cref="SendDirectAsync"/> waits on its recipient's
    /// grain, and two sessions messaging each other at once would otherwise wait on each other.
    /// </remarks>
    [AlwaysInterleave]
    Task<long> SendWithPositionAsync(Message message);

    /// <summary>
    /// Infrastructure (the lease reaper): edge host <paramref name="edgeId"/> is gone. A v1 connection on it closes; a
    /// v2 session on it is suspended; a connection that has moved to another edge is left alone.
    /// </summary>
    Task EdgeLostAsync(string edgeId);
}

/// <summary>A snapshot of one connection.</summary>
[GenerateSerializer, Immutable, Alias("wsrooms.ConnectionInfo")]
public sealed record ConnectionInfo(
    [property: Id(0)] string ConnectionId,
    [property: Id(1)] string EdgeId,
    [property: Id(2)] IReadOnlyDictionary<string, string> Claims,
    [property: Id(3)] IReadOnlyList<string> Rooms);
