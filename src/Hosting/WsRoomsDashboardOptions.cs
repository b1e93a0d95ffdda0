namespace WsRooms.Hosting;

/// <summary>
/// The Orleans Dashboard (section <c>WsRooms:Dashboard</c>), the same on silos and edge hosts: the silos collect
/// grain and silo statistics, and an edge host serves the UI at <c>/dashboard</c>.
/// </summary>
public sealed class WsRoomsDashboardOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms:Dashboard";

    /// <summary>
    /// <c>WsRooms:Dashboard:Enabled</c>: off by default, since the statistics cost every grain call a little and the
    /// UI has no authentication of its own.
    /// </summary>
    public bool Enabled { get; set; }
}
