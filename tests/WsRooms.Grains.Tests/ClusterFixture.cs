using Orleans.TestingHost;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// One two-silo <see cref="WsRoomsTestCluster"/> for every test in a collection: starting a cluster costs seconds,
/// and two silos make room and connection grains land on different silos from their callers. The test client plays
/// the edge hosts (see <see cref="FakeEdge"/>), so the silos and it talk in memory. The storage is the subclass's:
/// memory, or Azure Table on Azurite.
/// </summary>
public abstract class GrainsClusterFixture : IAsyncLifetime
{
    private WsRoomsTestCluster? _cluster;

    public WsRoomsTestCluster WsRoomsCluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public TestCluster Cluster => WsRoomsCluster.Cluster;

    public IGrainFactory Grains => WsRoomsCluster.Grains;

    /// <summary>The service provider of the first silo, for tests that use silo components directly.</summary>
    public IServiceProvider SiloServices => WsRoomsCluster.SiloServices;

    public async Task InitializeAsync() =>
        _cluster = await Configure(new WsRoomsTestClusterBuilder().WithSilos(2).UseInMemoryTransport()).StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A subscribed edge host with a fresh id.</summary>
    public Task<FakeEdge> NewEdgeAsync() => FakeEdge.StartAsync(Cluster.Client);

    protected abstract WsRoomsTestClusterBuilder Configure(WsRoomsTestClusterBuilder builder);
}

/// <summary>Memory storage: the default, what a single machine runs.</summary>
public sealed class ClusterFixture : GrainsClusterFixture
{
    /// <summary>The silos' push-stream delivery timeout, shorter than the default so a test can wait for it to pass.</summary>
    public static readonly TimeSpan PushDeliveryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Rooms named with this prefix keep at most <see cref="CountedFrames"/> frames.</summary>
    public const string CountedPrefix = "log-count";

    /// <summary>The one room that an exact rule gives <see cref="ExactFrames"/> frames, within <see cref="CountedPrefix"/>.</summary>
    public const string ExactRoom = "log-count-exact";

    /// <summary>Rooms named with this prefix keep frames for <see cref="AgedMaxAge"/>.</summary>
    public const string AgedPrefix = "log-age";

    /// <summary>Rooms named with this prefix keep at most <see cref="BytesMaxBytes"/> bytes.</summary>
    public const string BytesPrefix = "log-bytes";

    public const int CountedFrames = 5;
    public const int ExactFrames = 2;
    public const int BytesMaxBytes = 600;
    public static readonly TimeSpan AgedMaxAge = TimeSpan.FromSeconds(1);

    // PushStreamTests wait for the delivery timeout to pass once; a test client takes every event in far less.
    // RoomLogGrainTests read the retention rules.
    protected override WsRoomsTestClusterBuilder Configure(WsRoomsTestClusterBuilder builder) =>
        builder.WithSetting("WsRooms:Streams:Push:DeliveryTimeout", PushDeliveryTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithSetting("WsRooms:RoomLog:Rules:0:Pattern", CountedPrefix + "-*")
            .WithSetting("WsRooms:RoomLog:Rules:0:MaxFrames", CountedFrames.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithSetting("WsRooms:RoomLog:Rules:1:Pattern", ExactRoom)
            .WithSetting("WsRooms:RoomLog:Rules:1:MaxFrames", ExactFrames.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithSetting("WsRooms:RoomLog:Rules:2:Pattern", AgedPrefix + "-*")
            .WithSetting("WsRooms:RoomLog:Rules:2:MaxAge", AgedMaxAge.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithSetting("WsRooms:RoomLog:Rules:3:Pattern", BytesPrefix + "-*")
            .WithSetting("WsRooms:RoomLog:Rules:3:MaxBytes", BytesMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// The same grains on Azure storage, against a fresh Azurite: Azure Table clustering, grain state, PubSubStore and
/// membership rows. Streams are push streams, as by default; their subscriptions live in the durable PubSubStore.
/// </summary>
public sealed class AzuriteClusterFixture : GrainsClusterFixture
{
    // EdgeDirectoryKeepAliveTests wait for the keep-alive to bring the directory back, much sooner than by default.
    protected override WsRoomsTestClusterBuilder Configure(WsRoomsTestClusterBuilder builder) =>
        builder.UseAzureTableStorage().WithSetting("WsRooms:EdgeDirectory:DirectoryKeepAlive", "00:00:00.500");
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

[CollectionDefinition(Name)]
public sealed class AzuriteClusterCollection : ICollectionFixture<AzuriteClusterFixture>
{
    public const string Name = "azurite cluster";
}
