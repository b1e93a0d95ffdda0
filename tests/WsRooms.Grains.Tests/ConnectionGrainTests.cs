using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>The connection grain: direct messages, membership through it, and closing.</summary>
/// <remarks>Run twice: on memory providers (<see cref="MemoryConnectionGrainTests"/>) and on Azure Table storage in Azurite (<see cref="AzureTableConnectionGrainTests"/>).</remarks>
public abstract class ConnectionGrainTests(GrainsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task SendToAnOpenConnectionArrivesAtItsEdgeExactlyAsGiven()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var id = await edge.OpenConnectionAsync(new Dictionary<string, string> { ["sub"] = "alice" });

        var message = Message.FromText("lobby", "dm", id, "someone", "psst");
        Assert.True(await Grains.GetConnection(id).SendAsync(message));

        var delivery = await edge.WaitForAsync(d => d.Connection == id && d.Message.Event == "dm");
        Assert.Equal(message, delivery.Message with { Payload = message.Payload });
        Assert.Equal("psst", delivery.Message.PayloadText);
        Assert.Equal(MembershipChange.None, delivery.Change);
        Assert.Null(delivery.ExceptConnection);

        var info = await Grains.GetConnection(id).GetInfoAsync();
        Assert.NotNull(info);
        Assert.Equal(id, info.ConnectionId);
        Assert.Equal(edge.Id, info.EdgeId);
        Assert.Equal("alice", info.Claims["sub"]);
        Assert.Empty(info.Rooms);
    }

    [Fact]
    public async Task AnUnknownConnectionRefusesEverything()
    {
        var unknown = Grains.GetConnection(TestNames.Connection());

        Assert.False(await unknown.SendAsync(Message.FromText("r", "dm", "x", "", "lost")));
        Assert.False(await unknown.JoinAsync(TestNames.Room()));
        Assert.False(await unknown.LeaveAsync(TestNames.Room()));
        Assert.Null(await unknown.GetInfoAsync());
        Assert.False(await Grains.SendToConnectionAsync(TestNames.Connection(), "dm", [1]));
    }

    [Fact]
    public async Task JoinAndLeaveAreRecordedOnTheConnection()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var id = await edge.OpenConnectionAsync();
        var room = TestNames.Room();

        Assert.True(await Grains.GetConnection(id).JoinAsync(room));
        Assert.Equal([room], (await Grains.GetConnection(id).GetInfoAsync())!.Rooms);
        Assert.Equal([id], await Grains.GetRoom(room).GetMembersAsync());

        Assert.True(await Grains.GetConnection(id).LeaveAsync(room));
        Assert.Empty((await Grains.GetConnection(id).GetInfoAsync())!.Rooms);
        Assert.Empty(await Grains.GetRoom(room).GetMembersAsync());
    }

    [Fact]
    public async Task LeavingRootIsIgnored()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var id = await edge.OpenConnectionAsync();
        var room = TestNames.Room();
        await Grains.GetConnection(id).JoinAsync(room);

        Assert.True(await Grains.GetConnection(id).LeaveAsync(EventNames.RootRoom));

        // No leave_ack for root: the marker, sent later through the outbox to the same edge, arrives alone.
        Assert.True(await Grains.GetConnection(id).SendAsync(Message.FromText(room, "marker", id, "", "")));
        var marker = await edge.WaitForAsync(d => d.Connection == id && d.Message.Event == "marker");
        Assert.DoesNotContain(edge.Before(marker), d => d.Message.Event == EventNames.LeaveAck);
        Assert.Equal([room], (await Grains.GetConnection(id).GetInfoAsync())!.Rooms);
    }

    [Fact]
    public async Task CloseLeavesEveryRoomTellsTheOthersAndIsIdempotent()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var closing = await edgeA.OpenConnectionAsync();
        var watcher = await edgeB.OpenConnectionAsync();
        string[] rooms = [TestNames.Room(), TestNames.Room(), TestNames.Room()];
        foreach (var room in rooms)
        {
            await Grains.GetConnection(closing).JoinAsync(room);
            await Grains.GetConnection(watcher).JoinAsync(room);
        }

        await Grains.GetConnection(closing).CloseAsync();

        foreach (var room in rooms)
        {
            var left = await edgeB.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft);
            Assert.Equal(closing, left.Message.PayloadText);
            Assert.Equal([watcher], await Grains.GetRoom(room).GetMembersAsync());
        }

        // Its id no longer resolves, and the closed socket got no leave_ack.
        Assert.Null(await Grains.GetConnection(closing).GetInfoAsync());
        Assert.False(await Grains.GetConnection(closing).SendAsync(Message.FromText(rooms[0], "dm", closing, "", "")));
        Assert.False(await Grains.GetConnection(closing).JoinAsync(rooms[0]));

        // Closing again changes nothing: no second member_left anywhere.
        await Grains.GetConnection(closing).CloseAsync();
        foreach (var room in rooms)
        {
            var marker = await edgeB.PublishMarkerAsync(room);
            Assert.Single(edgeB.Before(marker), d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft);
        }

        Assert.DoesNotContain(edgeA.Received, d => d.Message.Event == EventNames.LeaveAck);
    }

    [Fact]
    public async Task ClosingAConnectionThatNeverOpenedIsHarmless()
    {
        var never = Grains.GetConnection(TestNames.Connection());
        await never.CloseAsync();
        await never.CloseAsync();
        Assert.Null(await never.GetInfoAsync());
    }
}

[Collection(ClusterCollection.Name)]
public sealed class MemoryConnectionGrainTests(ClusterFixture fixture) : ConnectionGrainTests(fixture);

[Collection(AzuriteClusterCollection.Name)]
public sealed class AzureTableConnectionGrainTests(AzuriteClusterFixture fixture) : ConnectionGrainTests(fixture);
