namespace WsRooms.Grains;

/// <summary>What <see cref="IRoomGrain.MoveMemberAsync"/> did with a resumed session's member.</summary>
/// <param name="IsMember">False when the connection is not a member of the room (nothing moved, nothing posted).</param>
/// <param name="Position">The room's last position at the move; the room's live frames after it follow on the new edge's stream.</param>
/// <param name="Replayed">
/// True when the room posted every frame after the client's position up to <paramref name="Position"/> (none, when the
/// client was up to date); false when the client named no position or the log no longer reaches back that far, and
/// nothing was replayed: the <c>wsrooms.resumed</c> answer's <c>false</c> for the room.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.RoomMove")]
public sealed record RoomMove(
    [property: Id(0)] bool IsMember,
    [property: Id(1)] long Position = 0,
    [property: Id(2)] bool Replayed = false);
