using System.Globalization;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// Two silos on Azurite whose rooms named <see cref="DurablePrefix"/> keep a durable log, and whose rooms named
/// <see cref="CountedPrefix"/> keep a durable log of <see cref="CountedFrames"/> frames; every other room keeps the
/// default in-memory log. A cluster of its own: a test kills a silo.
/// </summary>
public sealed class DurableRoomLogClusterFixture : GrainsClusterFixture
{
    public const string DurablePrefix = "durable";

    public const string CountedPrefix = "durable-count";

    public const int CountedFrames = 5;

    protected override WsRoomsTestClusterBuilder Configure(WsRoomsTestClusterBuilder builder) =>
        builder.UseAzureTableStorage()
            .WithSetting("WsRooms:RoomLog:Rules:0:Pattern", DurablePrefix + "-*")
            .WithSetting("WsRooms:RoomLog:Rules:0:Durable", "true")
            .WithSetting("WsRooms:RoomLog:Rules:1:Pattern", CountedPrefix + "-*")
            .WithSetting("WsRooms:RoomLog:Rules:1:Durable", "true")
            .WithSetting("WsRooms:RoomLog:Rules:1:MaxFrames", CountedFrames.ToString(CultureInfo.InvariantCulture));
}

[CollectionDefinition(Name)]
public sealed class DurableRoomLogCollection : ICollectionFixture<DurableRoomLogClusterFixture>
{
    public const string Name = "azurite cluster, durable room logs";
}
