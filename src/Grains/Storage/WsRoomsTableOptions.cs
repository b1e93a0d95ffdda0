namespace WsRooms.Grains.Storage;

/// <summary>Where the <see cref="AzureTableRowStore"/> keeps its rows.</summary>
public sealed class WsRoomsTableOptions
{
    /// <summary>The table (default <c>WsRoomsRows</c>): letters and digits, 3–63 characters, created on first use.</summary>
    public string TableName { get; set; } = "WsRoomsRows";

    /// <summary>
    /// The table of the durable room logs (default <c>WsRoomsRoomLog</c>), apart from the rows so that a room's
    /// frames and its members never share a partition: one row per logged frame, created on first use.
    /// </summary>
    public string RoomLogTableName { get; set; } = "WsRoomsRoomLog";
}
