using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>A room of several hundred members split over both edges: every broadcast reaches every other member.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class RoomScaleTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task ARoomOfThreeHundredMembersOnTwoEdgesReceivesEveryBroadcast()
    {
        const int members = 300;
        const int broadcasts = 5;
        var room = TestNames.Room();
        var clients = new List<TestClient>();
        try
        {
            // Connect in small batches; each join announces itself to everyone already in.
            for (var i = 0; i < members; i += 25)
            {
                var batch = await Task.WhenAll(Enumerable.Range(i, 25).Select(n => (n % 2 == 0 ? fixture.EdgeA : fixture.EdgeB).ConnectAsync()));
                await Task.WhenAll(batch.Select(c => c.JoinAsync(room)));
                clients.AddRange(batch);
            }

            Assert.Equal(members, (await fixture.Client.GetRoom(room).GetMembersAsync()).Count);

            var sender = clients[0];
            for (var n = 0; n < broadcasts; n++)
            {
                await sender.SendAsync(room, "chat", n.ToString());
            }

            await Task.WhenAll(clients.Skip(1).Select(async client =>
            {
                for (var n = 0; n < broadcasts; n++)
                {
                    var got = await client.WaitForAsync(m => m.Event == "chat", TimeSpan.FromSeconds(30));
                    Assert.Equal((sender.Id, n.ToString()), (got.Src, got.PayloadText));
                }
            }));
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }

        // Everyone left: the room is empty again.
        Assert.Empty(await fixture.Client.GetRoom(room).GetMembersAsync());
    }
}
