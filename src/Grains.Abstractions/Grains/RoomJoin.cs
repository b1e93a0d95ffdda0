namespace WsRooms.Grains;

/// <summary>What a join came to, and where in the room's log it happened.</summary>
/// <param name="Result">Whether the connection is now a member, was one, or was refused.</param>
/// <param name="Position">
/// On <see cref="JoinResult.Joined"/>: the position of the joiner's own <c>new_member</c> in the room's log, which
/// is what its join_ack carries, so the first room frame the joiner receives is at <c>Position + 1</c>. On
/// <see cref="JoinResult.AlreadyMember"/>: the room's last position at the repeated join_ack. 0 for a refused join
/// and for <c>root</c>, which has no log (docs/protocol.md, "Positions").
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.RoomJoin")]
public sealed record RoomJoin(
    [property: Id(0)] JoinResult Result,
    [property: Id(1)] long Position = 0);
