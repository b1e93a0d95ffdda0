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
    /// limit means no limit.
    /// </summary>
    Task<RoomJoin> TryJoinWithPositionAsync(string room, int maxRooms, int maxMembers);

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
    /// Edge host, on a resume socket: re-attaches the session to <paramref name="edgeId"/> when <paramref name="token"/>
    /// is its current token and <paramref name="identity"/> its identity. The token is spent and a new one issued; each
    /// room moves the member to the new edge (nobody is told); the answer holds the rooms' positions at the move and
    /// the direct messages after <paramref name="directAfter"/>. A token presented with a foreign identity is refused
    /// and stays valid. Call it on the grain <see cref="SessionTokens.TryGetSessionId"/> names
    /// (<see cref="WsRoomsGrainFactoryExtensions.ResumeSessionAsync"/>).
    /// </summary>
    Task<SessionResume> ResumeAsync(string token, string identity, string edgeId, long directAfter);

    /// <summary>
    /// <see cref="SendAsync"/>, returning the message's position in the session's direct log: 0 when the connection is
    /// not a v2 session (no log), -1 when it is unknown (the message is dropped). A suspended session keeps the message
    /// in its direct log for its resume.
    /// </summary>
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
