namespace WsRooms.Grains.Rooms;

/// <summary>
/// A room's membership in memory: its members and, for <c>root</c> without presence, the attached edge hosts.
/// Stored one row per member and per attached edge (<see cref="Storage.IRowStore"/>), never as one blob.
/// </summary>
internal sealed class RoomState
{
    /// <summary>Member connection id → the edge host holding its socket.</summary>
    public Dictionary<string, string> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Edge hosts that get every broadcast to the room for all their connections (root without presence).</summary>
    public HashSet<string> AttachedEdges { get; } = new(StringComparer.Ordinal);
}
