using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// The silo holding the edge directory dies together with the only edge host: nobody renews a lease any more, so
/// nobody would call the directory again. The silos' keep-alive brings it back on the survivor, where it reloads the
/// dead edge from the table and closes its connections when the lease lapses: its rooms empty without any edge
/// coming back. A cluster of its own, because the test kills a silo.
/// </summary>
[Collection(Name)]
public sealed class EdgeDirectoryKeepAliveTests(AzuriteClusterFixture fixture)
{
    public const string Name = "azurite cluster, directory keep-alive";

    [Fact]
    public async Task ADeadEdgesConnectionsLeaveTheirRoomsAfterTheDirectorysSiloDiesToo()
    {
        var directory = fixture.Grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key);
        var edgeId = $"edge-{Guid.NewGuid():N}";
        var lookup = new NoConnectionsLookup();
        var lookupReference = fixture.Cluster.Client.CreateObjectReference<IEdgeConnectionLookup>(lookup);
        Assert.Equal(EdgeLeaseStatus.Registered, await directory.RenewAsync(edgeId, "instance-1", TimeSpan.FromSeconds(2), ConnectionIds.NewEdgeTag(), lookupReference));

        var room = TestNames.Room();
        var connection = TestNames.Connection();
        await fixture.Grains.GetConnection(connection).OpenAsync(edgeId, new Dictionary<string, string>());
        Assert.True(await fixture.Grains.GetConnection(connection).JoinAsync(room));

        // The edge "dies" (it renews no more) and so does the directory's silo.
        var directorySilo = await fixture.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(directory);
        var handle = fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(directorySilo));
        await fixture.Cluster.KillSiloAsync(handle);

        // Nothing here calls the directory: only the keep-alive can bring it back to sweep the lapsed lease.
        await Poll.UntilAsync(
            async () => (await fixture.Grains.GetRoom(room).GetMembersAsync()).Count == 0,
            TimeSpan.FromSeconds(45),
            "the dead edge's connection to leave its room");
        Assert.Null(await fixture.Grains.GetConnection(connection).GetInfoAsync());
        GC.KeepAlive(lookup);
    }
}

[CollectionDefinition(EdgeDirectoryKeepAliveTests.Name)]
public sealed class EdgeDirectoryKeepAliveCollection : ICollectionFixture<AzuriteClusterFixture>;
