using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// A silo that shuts down hands its grains over: with membership in Azure Table storage, every room it held comes
/// back on the remaining silo with every member. (With the memory providers that state would go with the silo; the
/// README says so.) A cluster of its own, because the test takes a silo away.
/// </summary>
[Collection(Name)]
public sealed class SiloHandoverTests(AzuriteClusterFixture fixture)
{
    public const string Name = "azurite cluster, silo handover";

    [Fact]
    public async Task AStoppingSiloHandsItsRoomsOverWithEveryMember()
    {
        await using var edge = await fixture.NewEdgeAsync();

        // Twelve rooms: placement is random, so the stopping silo holds some of them (all twelve on the other one
        // would be a 1 in 4,096 chance).
        var members = new Dictionary<string, string[]>();
        for (var i = 0; i < 12; i++)
        {
            var room = TestNames.Room();
            var ids = new[] { TestNames.Connection(), TestNames.Connection() };
            foreach (var id in ids)
            {
                await fixture.Grains.GetConnection(id).OpenAsync(edge.Id, new Dictionary<string, string>());
                Assert.True(await fixture.Grains.GetConnection(id).JoinAsync(room));
            }

            members[room] = ids;
        }

        await fixture.Cluster.StopSiloAsync(fixture.Cluster.SecondarySilos[0]);

        foreach (var (room, ids) in members)
        {
            var listed = await fixture.Grains.GetRoom(room).GetMembersAsync();
            Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            foreach (var id in ids)
            {
                var info = await fixture.Grains.GetConnection(id).GetInfoAsync();
                Assert.NotNull(info);
                Assert.Contains(room, info.Rooms);
            }
        }
    }
}

[CollectionDefinition(SiloHandoverTests.Name)]
public sealed class SiloHandoverCollection : ICollectionFixture<AzuriteClusterFixture>;
