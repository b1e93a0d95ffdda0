using WsRooms.Protocol;

namespace WsRooms.Grains;

/// <summary>One frame a room fanned out, as its log holds it.</summary>
/// <param name="Position">Its position in the room's log.</param>
/// <param name="Message">
/// The frame as the members received it. <see cref="WsRooms.Protocol.Message.Src"/> is the sender of a broadcast (empty for the
/// server), which a replay to that sender skips: a member never receives its own broadcasts.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.LoggedFrame")]
public sealed record LoggedFrame(
    [property: Id(0)] long Position,
    [property: Id(1)] Message Message);
