namespace WsRooms.Rooms;

/// <summary>What a room persists: its members and, for <c>root</c> without presence, the attached edge hosts.</summary>
[GenerateSerializer, Alias("wsrooms.RoomState")]
public sealed class RoomState
{
    /// <summary>Member connection id → the edge host holding its socket.</summary>
    [Id(0)]
    public Dictionary<string, string> Members { get; set; } = [];

    /// <summary>Edge hosts that get every broadcast to the room for all their connections (root without presence).</summary>
    [Id(1)]
    public HashSet<string> AttachedEdges { get; set; } = [];
}
