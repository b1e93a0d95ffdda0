using WsRooms.Streaming;

namespace WsRooms.Grains.Hosting;

/// <summary>Names of the providers WsRooms' grains use; a silo registers them (memory or Azure Table).</summary>
public static class WsRoomsStorage
{
    /// <summary>The grain storage holding each connection's state (room membership is in rows, see IRowStore).</summary>
    public const string Name = "wsrooms";

    /// <summary>The grain storage the push streams keep their subscriptions in (Orleans' own name for it).</summary>
    public const string PubSubStore = PushStreams.StorageName;
}
