using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// Two silos and two edge hosts for the v2 session tests, shared by the collection. The grace period is short so a
/// test can watch one lapse, yet long enough that a resume on a loaded machine comes well within it; rooms named
/// <see cref="ShortLogPrefix"/>* keep only <see cref="ShortLogFrames"/> frames, so a test can outrun their log.
/// </summary>
public sealed class V2ClusterFixture : IAsyncLifetime
{
    /// <summary>The sessions' grace period on this cluster.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Rooms whose name starts with this keep a short log.</summary>
    public const string ShortLogPrefix = "v2short.";

    /// <summary>How many frames a short-log room keeps.</summary>
    public const int ShortLogFrames = 3;

    private WsRoomsTestCluster? _cluster;

    public WsRoomsTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public EdgeServer EdgeA => Cluster.Edges[0];

    public EdgeServer EdgeB => Cluster.Edges[1];

    public async Task InitializeAsync() =>
        _cluster = await new WsRoomsTestClusterBuilder()
            .WithSilos(2)
            .WithEdges(2)
            .WithSetting("WsRooms:Sessions:GracePeriod", GracePeriod.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithSetting("WsRooms:RoomLog:Rules:0:Pattern", ShortLogPrefix + "*")
            .WithSetting("WsRooms:RoomLog:Rules:0:MaxFrames", ShortLogFrames.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class V2ClusterCollection : ICollectionFixture<V2ClusterFixture>
{
    public const string Name = "v2 cluster";
}
