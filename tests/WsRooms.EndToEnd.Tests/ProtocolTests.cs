using System.Text;
using System.Text.Json;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>Every rule of docs/protocol.md, over two real edge hosts and a two-silo cluster.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class ProtocolTests(EdgeClusterFixture fixture)
{
    private EdgeServer EdgeA => fixture.EdgeA;
    private EdgeServer EdgeB => fixture.EdgeB;

    [Fact]
    public async Task TheFirstFrameIsRootJoinAckCarryingOnlyTheOwnId()
    {
        await using var client = await EdgeA.ConnectAsync();

        var first = client.FirstFrame!;
        Assert.Equal(EventNames.RootRoom, first.Room);
        Assert.Equal(EventNames.JoinAck, first.Event);
        Assert.Equal("", first.Dst);
        Assert.True(Guid.TryParseExact(first.Src, "D", out _), $"'{first.Src}' is not a canonical UUID");
        Assert.Equal([first.Src], JsonSerializer.Deserialize<string[]>(first.Payload)!);
    }

    [Fact]
    public async Task EveryConnectionGetsItsOwnId()
    {
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeA.ConnectAsync();
        await using var c = await EdgeB.ConnectAsync();

        Assert.Equal(3, new HashSet<string> { a.Id, b.Id, c.Id }.Count);
    }

    [Fact]
    public async Task JoinAckListsEveryMemberWithTheJoinerAndTheOthersGetNewMember()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();

        Assert.Equal([a.Id], await a.JoinAsync(room));
        var members = await b.JoinAsync(room);

        Assert.Equal(new[] { a.Id, b.Id }.Order(), members.Order());
        var announced = await a.WaitForAsync(m => m.Event == EventNames.NewMember);
        Assert.Equal((room, "", "", b.Id), (announced.Room, announced.Dst, announced.Src, announced.PayloadText));
    }

    [Fact]
    public async Task JoiningAgainOnlyRepeatsTheJoinAck()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await a.WaitForAsync(m => m.Event == EventNames.NewMember);

        var again = await b.JoinAsync(room);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), again.Order());

        await b.SendAsync(room, "marker");
        var before = await a.CollectUntilAsync(m => m.Event == "marker");
        Assert.Empty(before);
    }

    [Fact]
    public async Task LeaveIsAcknowledgedAndTheOthersGetMemberLeft()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await b.SendAsync(Message.FromText(room, EventNames.Leave, b.Id, b.Id, b.Id));
        var ack = await b.WaitForAsync(m => m.Event == EventNames.LeaveAck);
        Assert.Equal((room, "", b.Id, b.Id), (ack.Room, ack.Dst, ack.Src, ack.PayloadText));

        var left = await a.WaitForAsync(m => m.Event == EventNames.MemberLeft);
        Assert.Equal((room, "", "", b.Id), (left.Room, left.Dst, left.Src, left.PayloadText));
    }

    [Fact]
    public async Task LeavingARoomOneIsNotInStillAnswersLeaveAckAndTellsNobody()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);

        await b.LeaveAsync(room);

        await a.SendAsync(room, "marker");
        await b.JoinAsync(room);
        var before = await a.CollectUntilAsync(m => m.Event == EventNames.NewMember && m.PayloadText == b.Id);
        Assert.DoesNotContain(before, m => m.Event == EventNames.MemberLeft);
    }

    [Fact]
    public async Task LeaveOnRootIsIgnored()
    {
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();

        await a.SendAsync(Message.FromText(EventNames.RootRoom, EventNames.Leave, a.Id, a.Id, a.Id));
        await a.SendAsync(EventNames.RootRoom, "still-here", "x", dst: b.Id);

        var got = await b.WaitForAsync(m => m.Event == "still-here");
        Assert.Equal(a.Id, got.Src);
        await a.SendAsync(EventNames.RootRoom, "echo", "after");
        var before = await a.CollectUntilAsync(m => m.Event == "echoed");
        Assert.DoesNotContain(before, m => m.Event == EventNames.LeaveAck);
    }

    [Fact]
    public async Task DisconnectingTellsTheOtherMembers()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        var bId = b.Id;

        await b.DisposeAsync();

        var left = await a.WaitForAsync(m => m.Event == EventNames.MemberLeft);
        Assert.Equal((room, bId), (left.Room, left.PayloadText));
        Assert.DoesNotContain(bId, await fixture.Client.GetGrain<Grains.IRoomGrain>(room).GetMembersAsync());
    }

    [Fact]
    public async Task BroadcastReachesMembersOnBothEdgesButNeitherTheSenderNorNonMembers()
    {
        var room = TestNames.Room();
        await using var sender = await EdgeA.ConnectAsync();
        await using var sameEdge = await EdgeA.ConnectAsync();
        await using var otherEdge = await EdgeB.ConnectAsync();
        await using var outsider = await EdgeB.ConnectAsync();
        await sender.JoinAsync(room);
        await sameEdge.JoinAsync(room);
        await otherEdge.JoinAsync(room);

        await sender.SendAsync(room, "chat", "hello");

        foreach (var member in new[] { sameEdge, otherEdge })
        {
            var got = await member.WaitForAsync(m => m.Event == "chat");
            Assert.Equal((room, "", sender.Id, "hello"), (got.Room, got.Dst, got.Src, got.PayloadText));
        }

        // The sender hears the next broadcast (someone else's) without its own before it.
        await otherEdge.SendAsync(room, "marker");
        var beforeMarker = await sender.CollectUntilAsync(m => m.Event == "marker");
        Assert.DoesNotContain(beforeMarker, m => m.Event == "chat");

        // The outsider hears a direct marker without the broadcast before it.
        await sender.SendAsync(room, "marker", "", dst: outsider.Id);
        Assert.DoesNotContain(await outsider.CollectUntilAsync(m => m.Event == "marker"), m => m.Event == "chat");
    }

    [Fact]
    public async Task OnlyMembersMayBroadcast()
    {
        var room = TestNames.Room();
        await using var member = await EdgeA.ConnectAsync();
        await using var outsider = await EdgeB.ConnectAsync();
        await member.JoinAsync(room);

        await outsider.SendAsync(room, "chat", "not a member");
        await outsider.JoinAsync(room);
        await outsider.SendAsync(room, "chat", "member now");

        var first = await member.WaitForAsync(m => m.Event == "chat");
        Assert.Equal("member now", first.PayloadText);
    }

    [Fact]
    public async Task DirectMessagesCrossEdgeHosts()
    {
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();

        await a.SendAsync(EventNames.RootRoom, "dm", "psst", dst: b.Id);

        var got = await b.WaitForAsync(m => m.Event == "dm");
        Assert.Equal((EventNames.RootRoom, b.Id, a.Id, "psst"), (got.Room, got.Dst, got.Src, got.PayloadText));
    }

    [Fact]
    public async Task ADirectMessageToAnUnknownIdIsDroppedAndTheSenderCarriesOn()
    {
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();

        await a.SendAsync(EventNames.RootRoom, "dm", "lost", dst: Guid.NewGuid().ToString());
        await a.SendAsync(EventNames.RootRoom, "dm", "found", dst: b.Id);

        Assert.Equal("found", (await b.WaitForAsync(m => m.Event == "dm")).PayloadText);
    }

    [Fact]
    public async Task EachSendersOrderIsKeptAcrossEdgeHosts()
    {
        const int count = 1000;
        var room = TestNames.Room();
        await using var sender = await EdgeA.ConnectAsync();
        await using var local = await EdgeA.ConnectAsync();
        await using var remote = await EdgeB.ConnectAsync();
        await sender.JoinAsync(room);
        await local.JoinAsync(room);
        await remote.JoinAsync(room);

        for (var i = 0; i < count; i++)
        {
            await sender.SendAsync(room, "seq", i.ToString());
            await sender.SendAsync(room, "dseq", i.ToString(), dst: remote.Id);
        }

        // Each recipient's frames, split by event, must count 0..count-1 with nothing missing.
        foreach (var (client, events) in new[] { (local, new[] { "seq" }), (remote, new[] { "seq", "dseq" }) })
        {
            var next = events.ToDictionary(e => e, _ => 0);
            while (next.Values.Any(n => n < count))
            {
                var got = await client.WaitForAsync(m => next.ContainsKey(m.Event));
                Assert.Equal(next[got.Event].ToString(), got.PayloadText);
                next[got.Event]++;
            }
        }
    }

    [Fact]
    public async Task Utf8NamesAndEveryByteValueArriveIntact()
    {
        var room = TestNames.Room("комната-部屋-🎉");
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "données-🙂", payload);
        await a.SendAsync(room, "текст", Encoding.UTF8.GetBytes("héllo wörld ✓"));

        var binary = await b.WaitForAsync(m => m.Event == "données-🙂");
        Assert.Equal(room, binary.Room);
        Assert.Equal(payload, binary.Payload);
        Assert.Equal("héllo wörld ✓", (await b.WaitForAsync(m => m.Event == "текст")).PayloadText);
    }

    [Fact]
    public async Task ASpoofedSrcIsReplacedWithTheSendersId()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "chat", "it's me", src: b.Id);
        await a.SendAsync(room, "dm", "really", dst: b.Id, src: "the-president");

        Assert.Equal(a.Id, (await b.WaitForAsync(m => m.Event == "chat")).Src);
        Assert.Equal(a.Id, (await b.WaitForAsync(m => m.Event == "dm")).Src);
    }

    [Theory]
    [InlineData(EventNames.JoinAck)]
    [InlineData(EventNames.LeaveAck)]
    [InlineData(EventNames.NewMember)]
    [InlineData(EventNames.MemberLeft)]
    public async Task ForgedServerEventsAreDropped(string forged)
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, forged, "[\"intruder\"]");
        await a.SendAsync(room, forged, "intruder", dst: b.Id);
        await a.SendAsync(room, "marker");

        var before = await b.CollectUntilAsync(m => m.Event == "marker");
        Assert.DoesNotContain(before, m => m.Event == forged);
    }

    [Fact]
    public async Task AHandlerRunsInsteadOfABroadcast()
    {
        var room = TestNames.Room();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "echo", "ping!");

        var echoed = await a.WaitForAsync(m => m.Event == "echoed");
        Assert.Equal((room, a.Id, "ping!"), (echoed.Room, echoed.Dst, echoed.PayloadText));
        await a.SendAsync(room, "marker");
        Assert.DoesNotContain(await b.CollectUntilAsync(m => m.Event == "marker"), m => m.Event == "echo");
    }

    [Fact]
    public async Task ABroadcastOnRootReachesEveryConnectionOnEveryEdge()
    {
        await using var sender = await EdgeA.ConnectAsync();
        await using var a = await EdgeA.ConnectAsync();
        await using var b = await EdgeB.ConnectAsync();

        var tag = Guid.NewGuid().ToString();
        await sender.SendAsync(EventNames.RootRoom, "announce", tag);

        Assert.Equal(sender.Id, (await a.WaitForAsync(m => m.Event == "announce" && m.PayloadText == tag)).Src);
        Assert.Equal(sender.Id, (await b.WaitForAsync(m => m.Event == "announce" && m.PayloadText == tag)).Src);
    }
}
