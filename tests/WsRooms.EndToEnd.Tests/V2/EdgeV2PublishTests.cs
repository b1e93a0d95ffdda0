using System.Text;
using WsRooms.Edge.Security;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>The edge's side of v2 publishes (docs/protocol.md, "Acknowledged publish", "History on join").</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class EdgeV2PublishTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task ABroadcastTheRoomRulesRefuseIsAnsweredByItsAckAlone()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            o.Rooms.DefaultPolicy = RoomPolicy.Deny;
            o.Rooms.Rules.Add(new RoomRule { Pattern = "announce.*", Publish = false });
        });
        var room = TestNames.Room("announce.v2");
        await using var a = await EdgeV2Socket.ConnectAsync(edge.WebSocketUri);
        await a.JoinAsync(room);

        await a.SendAsync(room, "chat", "no", mid: "m-1");
        await a.SendAsync(room, "echo", "marker");

        var before = await a.CollectUntilAsync(f => f.Message.Event == "echoed");
        var ack = Assert.Single(before);
        Assert.Equal((room, EventNames.Ack, "", ""), (ack.Message.Room, ack.Message.Event, ack.Message.Dst, ack.Message.Src));
        Assert.Equal("m-1", ack.Json.GetProperty("mid").GetString());
        Assert.Equal(ErrorFrames.PublishDenied, ack.Json.GetProperty("error").GetString());
        Assert.Null(ack.Seq);
    }

    [Fact]
    public async Task ABroadcastIsAckedWithItsPositionAndARepeatedMidIsNotDeliveredAgain()
    {
        var room = TestNames.Room("v2-ack");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "chat", "one", mid: "m-1");
        var ack = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        var received = await b.WaitForAsync(f => f.Message.Event == "chat");
        Assert.Equal("m-1", ack.Json.GetProperty("mid").GetString());
        Assert.Equal((long)received.Seq!.Value, ack.Json.GetProperty("seq").GetInt64());

        await a.SendAsync(room, "chat", "one again", mid: "m-1");
        var again = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        Assert.Equal(ack.Json.GetProperty("seq").GetInt64(), again.Json.GetProperty("seq").GetInt64());

        await a.SendAsync(room, "chat", "no mid");
        var plain = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        Assert.False(plain.Json.TryGetProperty("mid", out _));
        var next = await b.WaitForAsync(f => f.Message.Event == "chat");
        Assert.Equal("no mid", next.Message.PayloadText); // the repeat was not delivered
        Assert.Equal((long)next.Seq!.Value, plain.Json.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task ABroadcastFromANonMemberIsRefusedWithNotMember()
    {
        var room = TestNames.Room("v2-nonmember");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);

        await a.SendAsync(room, "chat", "x", mid: "m-nm");

        var ack = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        Assert.Equal(("m-nm", ErrorFrames.NotMember), (ack.Json.GetProperty("mid").GetString(), ack.Json.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task ADirectMessageIsAckedWithTheRecipientsDirectPositionAndAnUnknownDstIsRefused()
    {
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);

        await a.SendAsync(EventNames.RootRoom, "dm", "hello", dst: b.Id, mid: "d-1");
        var ack = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        var received = await b.WaitForAsync(f => f.Message.Event == "dm");
        Assert.Equal((a.Id, b.Id, "hello"), (received.Message.Src, received.Message.Dst, received.Message.PayloadText));
        Assert.Equal((long)received.Seq!.Value, ack.Json.GetProperty("seq").GetInt64());

        await a.SendAsync(EventNames.RootRoom, "dm", "nobody", dst: TestNames.Connection(), mid: "d-2");
        var refused = await a.WaitForAsync(f => f.Message.Event == EventNames.Ack);
        Assert.Equal(("d-2", ErrorFrames.UnknownDst), (refused.Json.GetProperty("mid").GetString(), refused.Json.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task AJoinWithHistoryGetsTheLastFramesRightAfterItsJoinAck()
    {
        var room = TestNames.Room("v2-history");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await a.JoinAsync(room);
        for (var i = 0; i < 5; i++)
        {
            await fixture.Client.GetGrain<WsRooms.Grains.IRoomGrain>(room).PublishAsync("chat", Encoding.UTF8.GetBytes("m" + i), "");
        }

        await a.WaitForAsync(f => f.Message.PayloadText == "m4");
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);

        var ack = await b.JoinAsync(room, """{"history": 3}""");
        var history = new[] { await b.NextAsync(), await b.NextAsync(), await b.NextAsync() };

        Assert.Equal(["m2", "m3", "m4"], history.Select(f => f.Message.PayloadText));
        Assert.All(history, f => Assert.True(f.Seq < ack.Seq));
        Assert.Equal(history[0].Seq + 1, history[1].Seq);
    }

    [Fact]
    public async Task AJoinSinceAPositionTheLogNoLongerHoldsGetsHistoryGone()
    {
        var room = TestNames.Room("v2-gone");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        var first = await a.JoinAsync(room);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);

        await b.JoinAsync(room, """{"since": 1}""");
        var error = await b.NextAsync();

        Assert.Equal((room, EventNames.Error), (error.Message.Room, error.Message.Event));
        Assert.Equal(ErrorFrames.HistoryGone, error.Json.GetProperty("code").GetString());
        Assert.NotNull(first.Seq);
    }
}
