using System.Net.WebSockets;
using System.Text.Json;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>The edge's v2 rules (docs/protocol.md, "Version 2"): negotiation, the session frames, positions in meta, suspension.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class EdgeV2SessionTests(EdgeClusterFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AV2UpgradeSelectsTheSubprotocolAndOpensWithRootJoinAckThenTheSession(bool directUpgrade)
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.DirectUpgrade = directUpgrade);
        await using var client = await EdgeV2Socket.ConnectAsync(edge.WebSocketUri, awaitSession: false);

        Assert.Equal("wsrooms.v2", client.Socket.SubProtocol);
        var ack = await client.NextAsync();
        Assert.Equal((EventNames.RootRoom, EventNames.JoinAck, ""), (ack.Message.Room, ack.Message.Event, ack.Message.Dst));
        Assert.Null(ack.Seq); // root has no log
        Assert.Equal([ack.Message.Src], JsonSerializer.Deserialize<string[]>(ack.Message.Payload)!);

        var session = await client.NextAsync();
        Assert.Equal((EventNames.RootRoom, EventNames.Session, "", ""), (session.Message.Room, session.Message.Event, session.Message.Dst, session.Message.Src));
        Assert.Null(session.Seq);
        Assert.StartsWith(ack.Message.Src + ".", session.Json.GetProperty("token").GetString());
        Assert.Equal(30_000, session.Json.GetProperty("grace_ms").GetInt64());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientThatOffersNoV2SubprotocolSpeaksV1(bool directUpgrade)
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.DirectUpgrade = directUpgrade);
        await using var client = await edge.ConnectAsync(configure: o => o.AddSubProtocol("chat.other"));

        Assert.Null(client.Socket.SubProtocol);
        Assert.Equal(EventNames.JoinAck, client.FirstFrame!.Event); // TestClient reads v1 strictly: no sixth field
    }

    [Fact]
    public async Task RoomFramesCarryTheirPositionsAndV1MembersOfTheSameRoomSeeFiveFields()
    {
        var room = TestNames.Room("v2-pos");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await using var v1 = await fixture.EdgeB.ConnectAsync();

        var ackA = await a.JoinAsync(room);
        Assert.NotNull(ackA.Seq);
        var ackB = await b.JoinAsync(room);
        Assert.True(ackB.Seq > ackA.Seq);
        var joined = await a.WaitForAsync(f => f.Message.Room == room && f.Message.Event == EventNames.NewMember);
        Assert.Equal(ackB.Seq, joined.Seq); // the join_ack carries the joiner's own new_member's position
        await v1.JoinAsync(room);
        var v1Joined = await a.WaitForAsync(f => f.Message.Room == room && f.Message.Event == EventNames.NewMember);
        Assert.Equal(ackB.Seq + 1, v1Joined.Seq);

        await a.SendAsync(room, "chat", "one");
        await a.SendAsync(room, "chat", "two");
        var one = await b.WaitForAsync(f => f.Message.Event == "chat");
        var two = await b.WaitForAsync(f => f.Message.Event == "chat");
        Assert.Equal((a.Id, "one", "two"), (one.Message.Src, one.Message.PayloadText, two.Message.PayloadText));
        Assert.Equal(v1Joined.Seq + 1, one.Seq);
        Assert.Equal(one.Seq + 1, two.Seq);

        var seenByV1 = await v1.WaitForAsync(m => m.Event == "chat");
        Assert.Equal(("one", a.Id), (seenByV1.PayloadText, seenByV1.Src));
    }

    [Fact]
    public async Task ClientEventsInTheReservedNamespaceAreDropped()
    {
        var room = TestNames.Room("v2-reserved");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "wsrooms.anything", "forged");
        await a.SendAsync(room, EventNames.Session, "forged");
        await a.SendAsync(room, "marker");

        var before = await b.CollectUntilAsync(f => f.Message.Event == "marker");
        Assert.DoesNotContain(before, f => f.Message.Event.StartsWith("wsrooms.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMidThatIsNotUtf8ClosesWith1007()
    {
        var room = TestNames.Room("v2-mid");
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await a.JoinAsync(room);

        await a.SendAsync(Message.FromText(room, "chat", "", "", "x"), [0xC3, 0x28]);

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await a.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AFiveFieldFrameOnAV2SocketClosesWith1002()
    {
        await using var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);

        await a.SendRawAsync(Message.FromText("lobby", "chat", "", "", "x").ToBytes());

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await a.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ALostV2SocketSuspendsItsSessionAndNobodyIsTold()
    {
        var room = TestNames.Room("v2-suspend");
        var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        a.Abort();
        await Poll.UntilAsync(() => Task.FromResult(ConnectionGrainCalls.For(a.Id).Contains("SuspendAsync")), TimeSpan.FromSeconds(30), "the session suspended");
        await using var c = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await c.JoinAsync(room);
        await c.SendAsync(room, "marker");

        var before = await b.CollectUntilAsync(f => f.Message.Event == "marker");
        Assert.DoesNotContain(before, f => f.Message.Event == EventNames.MemberLeft && f.Message.PayloadText == a.Id);
        Assert.DoesNotContain("CloseAsync", ConnectionGrainCalls.For(a.Id));
        await a.DisposeAsync();
    }

    [Fact]
    public async Task AClientCloseEndsTheSessionAtOnce()
    {
        var room = TestNames.Room("v2-close");
        var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.DisposeAsync();

        var left = await b.WaitForAsync(f => f.Message.Event == EventNames.MemberLeft);
        Assert.Equal(a.Id, left.Message.PayloadText);
        Assert.NotNull(left.Seq);
        Assert.Contains("CloseSessionAsync", ConnectionGrainCalls.For(a.Id));
    }
}
