using System.Text.Json;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>Other Orleans services reach WebSocket clients through the grains alone: no edge host in the call path.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class ServerApiTests(EdgeClusterFixture fixture)
{
    private IClusterClient Service => fixture.Client;

    [Fact]
    public async Task APublishFromAPlainOrleansClientReachesMembersOnEveryEdge()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await Service.GetRoom(room).PublishTextAsync("news", "from the server");

        foreach (var client in new[] { a, b })
        {
            var got = await client.WaitForAsync(m => m.Event == "news");
            Assert.Equal((room, "", "", "from the server"), (got.Room, got.Dst, got.Src, got.PayloadText));
        }
    }

    [Fact]
    public async Task APublishWithASrcSkipsThatMember()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await Service.GetRoom(room).PublishTextAsync("news", "on behalf of a", src: a.Id);
        Assert.Equal(a.Id, (await b.WaitForAsync(m => m.Event == "news")).Src);

        await Service.GetRoom(room).PublishTextAsync("marker", "");
        Assert.DoesNotContain(await a.CollectUntilAsync(m => m.Event == "marker"), m => m.Event == "news");
    }

    [Fact]
    public async Task ASendToOneConnectionReachesOnlyIt()
    {
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();

        Assert.True(await Service.SendToConnectionAsync(b.Id, "notice", "for b"u8.ToArray()));
        var got = await b.WaitForAsync(m => m.Event == "notice");
        Assert.Equal((EventNames.RootRoom, b.Id, "", "for b"), (got.Room, got.Dst, got.Src, got.PayloadText));

        Assert.False(await Service.SendToConnectionAsync(Guid.NewGuid().ToString(), "notice", []));
    }

    [Fact]
    public async Task AServerSideJoinAndLeaveLookToTheClientAsIfItHadAsked()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);

        Assert.True(await Service.GetConnection(b.Id).JoinAsync(room));
        var ack = await b.WaitForAsync(m => m.Event == EventNames.JoinAck);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), JsonSerializer.Deserialize<string[]>(ack.Payload)!.Order());
        Assert.Equal(b.Id, (await a.WaitForAsync(m => m.Event == EventNames.NewMember)).PayloadText);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), (await Service.GetRoom(room).GetMembersAsync()).Order());

        // Now a member, b hears the room's broadcasts.
        await a.SendAsync(room, "chat", "welcome");
        Assert.Equal("welcome", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);

        Assert.True(await Service.GetConnection(b.Id).LeaveAsync(room));
        Assert.Equal(b.Id, (await b.WaitForAsync(m => m.Event == EventNames.LeaveAck)).PayloadText);
        Assert.Equal(b.Id, (await a.WaitForAsync(m => m.Event == EventNames.MemberLeft)).PayloadText);
    }

    [Fact]
    public async Task AServerSideJoinOfAnUnknownConnectionReturnsFalse() =>
        Assert.False(await Service.GetConnection(Guid.NewGuid().ToString()).JoinAsync(TestNames.Room()));

    [Fact]
    public async Task TheConnectionGrainKnowsItsEdgeItsClaimsAndItsRooms()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);

        var info = await Service.GetConnection(a.Id).GetInfoAsync();
        Assert.NotNull(info);
        Assert.Equal(fixture.EdgeB.EdgeId, info.EdgeId);
        Assert.Contains(room, info.Rooms);
    }
}
