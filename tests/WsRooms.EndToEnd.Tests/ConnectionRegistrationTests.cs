using System.Text.Json;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// Edge hosts open no connection grain when a client connects (README, "Connections and the cluster"): the cluster
/// hears of a connection at its first join, or when something asks for it, and to every caller it behaves as if it
/// had been opened at connect.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class ConnectionRegistrationTests(EdgeClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectingTalkingLocallyAndClosingMakeNoGrainCall()
    {
        var silent = await fixture.EdgeA.ConnectAsync();
        var id = silent.Id;
        Assert.True(ConnectionIds.TryGetEdgeTag(id, out _), $"'{id}' carries no edge tag");

        // Frames the edge answers itself: root's join again, a leave of a room it is not in, a handler.
        await silent.SendAsync(EventNames.RootRoom, EventNames.Join);
        Assert.Equal(EventNames.JoinAck, (await silent.WaitForAsync(m => m.Room == EventNames.RootRoom && m.Event == EventNames.JoinAck && m != silent.FirstFrame)).Event);
        var room = TestNames.Room();
        await silent.SendAsync(room, EventNames.Leave);
        var leaveAck = await silent.WaitForAsync(m => m.Event == EventNames.LeaveAck);
        Assert.Equal((room, "", id, id), (leaveAck.Room, leaveAck.Dst, leaveAck.Src, leaveAck.PayloadText));
        await silent.SendAsync(EventNames.RootRoom, "echo", "hi");
        await silent.WaitForAsync(m => m.Event == "echoed");
        await silent.DisposeAsync();

        // The control: a connection that joined has its grain opened, and closed when it goes.
        var joined = await fixture.EdgeA.ConnectAsync();
        await joined.JoinAsync(TestNames.Room());
        await joined.DisposeAsync();
        await Poll.UntilAsync(() => Task.FromResult(ConnectionGrainCalls.For(joined.Id).Contains(nameof(IConnectionGrain.CloseAsync))), Timeout, "the joined connection's close");
        Assert.Equal(nameof(IConnectionGrain.OpenAsync), ConnectionGrainCalls.For(joined.Id)[0]);

        Assert.Empty(ConnectionGrainCalls.For(id));
    }

    [Fact]
    public async Task TwoConnectionsThatNeverJoinedTalkByIdAcrossEdges()
    {
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();

        await a.SendAsync(EventNames.RootRoom, "dm", "to b", dst: b.Id);
        var atB = await b.WaitForAsync(m => m.Event == "dm");
        Assert.Equal((b.Id, a.Id, "to b"), (atB.Dst, atB.Src, atB.PayloadText));

        // b answers the id it learnt from src: a's grain adopts a from edge A.
        await b.SendAsync(EventNames.RootRoom, "dm", "to a", dst: atB.Src);
        var atA = await a.WaitForAsync(m => m.Event == "dm");
        Assert.Equal((a.Id, b.Id, "to a"), (atA.Dst, atA.Src, atA.PayloadText));
        Assert.Equal([nameof(IConnectionGrain.SendAsync)], ConnectionGrainCalls.For(a.Id));
    }

    [Fact]
    public async Task AConnectionTheServerJoinedLeavesTheRoomWhenItCloses()
    {
        var room = TestNames.Room();
        await using var watcher = await fixture.EdgeB.ConnectAsync();
        await watcher.JoinAsync(room);
        var adopted = await fixture.EdgeA.ConnectAsync();

        // The server joins a connection that never sent a frame: its grain adopts it from edge A.
        Assert.True(await fixture.Client.GetConnection(adopted.Id).JoinAsync(room));
        var ack = await adopted.WaitForAsync(m => m.Event == EventNames.JoinAck && m.Room == room);
        Assert.Contains(adopted.Id, JsonSerializer.Deserialize<string[]>(ack.Payload)!);
        Assert.Equal(adopted.Id, (await watcher.WaitForAsync(m => m.Event == EventNames.NewMember)).PayloadText);

        // Adopted, it is closed in the cluster when its socket ends, like one the edge opened.
        await adopted.DisposeAsync();
        Assert.Equal(adopted.Id, (await watcher.WaitForAsync(m => m.Event == EventNames.MemberLeft)).PayloadText);
        Assert.Equal([watcher.Id], await fixture.Client.GetRoom(room).GetMembersAsync());
        Assert.Null(await fixture.Client.GetConnection(adopted.Id).GetInfoAsync());
    }

    [Fact]
    public async Task AConnectionThatClosedBeforeAnyoneAskedIsUnknown()
    {
        var gone = await fixture.EdgeB.ConnectAsync();
        var id = gone.Id;
        await gone.DisposeAsync();
        await Poll.UntilAsync(() => Task.FromResult(!fixture.EdgeB.HasConnection(id)), Timeout, "the edge to drop the connection");

        Assert.Null(await fixture.Client.GetConnection(id).GetInfoAsync());
        Assert.False(await fixture.Client.SendToConnectionAsync(id, "late", "x"u8.ToArray()));
        Assert.False(await fixture.Client.GetConnection(id).JoinAsync(TestNames.Room()));
    }

    [Fact]
    public async Task LeavesAnsweredByTheEdgeAndByTheClusterArriveInTheOrderSent()
    {
        await using var client = await fixture.EdgeA.ConnectAsync();
        var rooms = Enumerable.Range(0, 6).Select(_ => TestNames.Room()).ToArray();

        // Leaves the edge answers (no room yet), then a join (the first grain call), then leaves the cluster answers.
        foreach (var room in rooms[..5])
        {
            await client.SendAsync(room, EventNames.Leave);
        }

        await client.SendAsync(rooms[0], EventNames.Join);
        await client.SendAsync(rooms[0], EventNames.Leave);
        await client.SendAsync(rooms[5], EventNames.Leave);
        var frames = await client.CollectUntilAsync(m => m.Event == EventNames.LeaveAck && m.Room == rooms[5]);

        string[] expected =
        [
            .. rooms[..5].Select(r => $"{EventNames.LeaveAck} {r}"),
            $"{EventNames.JoinAck} {rooms[0]}",
            $"{EventNames.LeaveAck} {rooms[0]}",
        ]; // and then the marker, rooms[5]'s leave_ack
        Assert.Equal(expected, frames.Where(m => m.Room != EventNames.RootRoom).Select(m => $"{m.Event} {m.Room}"));
        Assert.All(frames.Where(m => m.Event == EventNames.LeaveAck), m => Assert.Equal((client.Id, client.Id), (m.Src, m.PayloadText)));
    }
}
