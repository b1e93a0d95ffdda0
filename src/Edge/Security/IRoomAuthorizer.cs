namespace WsRooms.Edge.Security;

/// <summary>What a client asks to do in a room.</summary>
public enum RoomAction
{
    /// <summary>A client's <c>join</c>.</summary>
    Join = 0,

    /// <summary>A client's broadcast into the room (any event without dst and without a handler).</summary>
    Publish = 1,
}

/// <summary>
/// Decides whether a client may join or publish to a room; asked by the edge before the grain call. Server-side
/// calls (grains, <c>IRoomConnection.JoinAsync</c>, <c>IRoomGrain.PublishAsync</c>) are not subject to it. The
/// default is <see cref="ClaimsRoomAuthorizer"/>, configured from <c>WsRooms:Rooms</c>; replace it with
/// <c>WsRoomsBuilder.UseRoomAuthorizer</c>.
/// </summary>
public interface IRoomAuthorizer
{
    /// <summary>
    /// True to let the connection with <paramref name="claims"/> do <paramref name="action"/> in <paramref name="room"/>.
    /// Called for every join and every client broadcast: keep it fast and allocation-free on the publish path.
    /// </summary>
    ValueTask<bool> IsAllowedAsync(IReadOnlyDictionary<string, string> claims, string room, RoomAction action, CancellationToken cancellationToken);
}
