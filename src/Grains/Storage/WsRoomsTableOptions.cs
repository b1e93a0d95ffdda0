namespace WsRooms.Grains.Storage;

/// <summary>Where the <see cref="AzureTableRowStore"/> keeps its rows.</summary>
public sealed class WsRoomsTableOptions
{
    /// <summary>The table (default <c>WsRoomsRows</c>): letters and digits, 3–63 characters, created on first use.</summary>
    public string TableName { get; set; } = "WsRoomsRows";
}
