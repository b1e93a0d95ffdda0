using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>The edge's side of a resume (docs/protocol.md, "Resume"): the resume socket, its answers and its routing.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class EdgeV2ResumeTests(EdgeClusterFixture fixture)
{
    private static Uri ResumeUri(EdgeServer edge) => new(edge.WebSocketUri + "?resume=1");

    private static Message ResumeFrame(string token, object? rooms = null, long? direct = null) =>
        new(EventNames.RootRoom, EventNames.Resume, "", "", JsonSerializer.SerializeToUtf8Bytes(new { token, rooms = rooms ?? new { }, direct }));

    [Fact]
    public async Task AResumeSocketThatSendsNothingIsClosedWith1008AfterTenSeconds()
    {
        await using var socket = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AResumeSocketWhoseFirstFrameIsNotWsroomsResumeIsClosedWith1008()
    {
        await using var socket = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);

        await socket.SendAsync(TestNames.Room(), EventNames.Join);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ResumeOnAV1SocketIsIgnored()
    {
        await using var client = await TestClient.ConnectAsync(ResumeUri(fixture.EdgeA));

        Assert.Equal(EventNames.JoinAck, client.FirstFrame!.Event);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("2f1c0b8e-0000-8000-8000-000000000000.AAAA")]
    [InlineData("")]
    public async Task AnUnknownTokenConnectsAfreshAndSaysResumedFalse(string token)
    {
        await using var socket = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);

        await socket.SendAsync(ResumeFrame(token));

        var ack = await socket.NextAsync();
        var session = await socket.NextAsync();
        var resumed = await socket.NextAsync();
        Assert.Equal((EventNames.RootRoom, EventNames.JoinAck), (ack.Message.Room, ack.Message.Event));
        Assert.NotEqual("", ack.Message.Src);
        Assert.Equal(EventNames.Session, session.Message.Event);
        Assert.Equal(EventNames.Resumed, resumed.Message.Event);
        Assert.Equal("""{"resumed":false}""", resumed.Message.PayloadText);
    }

    [Fact]
    public async Task APayloadThatIsNotTheResumeJsonCountsAsAnUnknownToken()
    {
        await using var socket = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);

        await socket.SendAsync(EventNames.RootRoom, EventNames.Resume, "{{{");

        var resumed = await socket.WaitForAsync(f => f.Message.Event == EventNames.Resumed);
        Assert.False(resumed.Json.GetProperty("resumed").GetBoolean());
    }

    [Fact]
    public async Task ASessionResumesOnTheOtherEdgeWithItsIdAndRoomsAndATokenIsSingleUse()
    {
        var room = TestNames.Room("v2-resume");
        var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        var (id, token) = (a.Id, a.Token);
        a.Abort();
        await Poll.UntilAsync(() => Task.FromResult(ConnectionGrainCalls.For(id).Contains("SuspendAsync")), TimeSpan.FromSeconds(30), "the session suspended");

        await using var resumed = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeB), awaitSession: false);
        await resumed.SendAsync(ResumeFrame(token));
        var ack = await resumed.NextAsync();
        var answer = await resumed.NextAsync();

        Assert.Equal((EventNames.RootRoom, EventNames.JoinAck, id), (ack.Message.Room, ack.Message.Event, ack.Message.Src));
        Assert.Equal([id], JsonSerializer.Deserialize<string[]>(ack.Message.Payload)!);
        Assert.Equal(EventNames.Resumed, answer.Message.Event);
        Assert.True(answer.Json.GetProperty("resumed").GetBoolean());
        Assert.Equal(30_000, answer.Json.GetProperty("grace_ms").GetInt64());
        Assert.NotEqual(token, answer.Json.GetProperty("token").GetString());
        Assert.Equal([room], answer.Json.GetProperty("rooms").EnumerateObject().Select(p => p.Name));
        resumed.Learn(ack);

        // Live traffic of the room reaches the resumed socket on its new edge host, and nobody was told of a leave.
        await fixture.Client.GetGrain<WsRooms.Grains.IRoomGrain>(room).PublishAsync("chat", Encoding.UTF8.GetBytes("after"), b.Id);
        var live = await resumed.WaitForAsync(f => f.Message.Event == "chat");
        Assert.Equal(("after", b.Id), (live.Message.PayloadText, live.Message.Src));

        // The token was spent.
        await using var again = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);
        await again.SendAsync(ResumeFrame(token));
        var refused = await again.WaitForAsync(f => f.Message.Event == EventNames.Resumed);
        Assert.False(refused.Json.GetProperty("resumed").GetBoolean());
        await a.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AResumeWhileTheOldSocketIsOpenClosesItWith4001(bool sameEdge)
    {
        var room = TestNames.Room("v2-supersede");
        await using var old = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await old.JoinAsync(room);
        await b.JoinAsync(room);

        await using var resumed = await EdgeV2Socket.ConnectAsync(ResumeUri(sameEdge ? fixture.EdgeA : fixture.EdgeB), awaitSession: false);
        await resumed.SendAsync(ResumeFrame(old.Token));

        Assert.Equal((WebSocketCloseStatus)4001, await old.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
        var ack = await resumed.NextAsync();
        Assert.Equal((EventNames.JoinAck, old.Id), (ack.Message.Event, ack.Message.Src));
        Assert.True((await resumed.NextAsync()).Json.GetProperty("resumed").GetBoolean());

        await fixture.Client.GetGrain<WsRooms.Grains.IRoomGrain>(room).PublishAsync("chat", Encoding.UTF8.GetBytes("live"), b.Id);
        var live = await resumed.WaitForAsync(f => f.Message.Event == "chat");
        Assert.Equal("live", live.Message.PayloadText);
        Assert.Equal(WebSocketState.Open, resumed.Socket.State);
    }

    [Fact]
    public async Task TheFramesMissedWhileSuspendedAreReplayedInOrderBeforeLiveOnes()
    {
        var room = TestNames.Room("v2-replay");
        var a = await EdgeV2Socket.ConnectAsync(fixture.EdgeA.WebSocketUri);
        await using var b = await EdgeV2Socket.ConnectAsync(fixture.EdgeB.WebSocketUri);
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await b.SendAsync(room, "chat", "seen");
        var seen = await a.WaitForAsync(f => f.Message.Event == "chat");
        var (id, token) = (a.Id, a.Token);
        a.Abort();
        await Poll.UntilAsync(() => Task.FromResult(ConnectionGrainCalls.For(id).Contains("SuspendAsync")), TimeSpan.FromSeconds(30), "the session suspended");
        for (var i = 0; i < 300; i++)
        {
            await b.SendAsync(room, "chat", "missed " + i);
        }

        await b.WaitForAsync(f => f.Message.Event == EventNames.Ack && f.Json.GetProperty("seq").GetInt64() == (long)seen.Seq!.Value + 300);

        await using var resumed = await EdgeV2Socket.ConnectAsync(ResumeUri(fixture.EdgeA), awaitSession: false);
        await resumed.SendAsync(ResumeFrame(token, new Dictionary<string, long> { [room] = (long)seen.Seq!.Value }));
        Assert.Equal(EventNames.JoinAck, (await resumed.NextAsync()).Message.Event);
        var answer = await resumed.NextAsync();
        Assert.True(answer.Json.GetProperty("rooms").GetProperty(room).GetBoolean());
        await fixture.Client.GetGrain<WsRooms.Grains.IRoomGrain>(room).PublishAsync("chat", Encoding.UTF8.GetBytes("live"), b.Id);

        var frames = new List<EdgeV2Frame>();
        for (var i = 0; i < 301; i++)
        {
            frames.Add(await resumed.WaitForAsync(f => f.Message.Event == "chat"));
        }

        Assert.Equal([.. Enumerable.Range(0, 300).Select(i => "missed " + i), "live"], frames.Select(f => f.Message.PayloadText));
        Assert.Equal(Enumerable.Range(1, 301).Select(i => (ulong?)(seen.Seq!.Value + (ulong)i)), frames.Select(f => f.Seq));
        await a.DisposeAsync();
    }
}
