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
}

/// <summary>A snapshot of one connection.</summary>
[GenerateSerializer, Immutable, Alias("wsrooms.ConnectionInfo")]
public sealed record ConnectionInfo(
    [property: Id(0)] string ConnectionId,
    [property: Id(1)] string EdgeId,
    [property: Id(2)] IReadOnlyDictionary<string, string> Claims,
    [property: Id(3)] IReadOnlyList<string> Rooms);
