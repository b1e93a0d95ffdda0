namespace WsRooms.Grains.Hosting;

/// <summary>Names of the providers WsRooms' grains use; a silo registers them (memory, Azure Table…).</summary>
public static class WsRoomsStorage
{
    /// <summary>The grain storage holding room and connection state.</summary>
    public const string Name = "wsrooms";

    /// <summary>The grain storage Orleans' streaming keeps its subscriptions in (Orleans' own fixed name).</summary>
    public const string PubSubStore = "PubSubStore";
}
