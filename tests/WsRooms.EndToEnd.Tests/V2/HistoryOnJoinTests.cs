using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>v2 history on join (docs/protocol.md): <c>{"history": N}</c>, <c>{"since": S}</c> and <c>history_gone</c>.</summary>
[Collection(V2ClusterCollection.Name)]
public sealed class HistoryOnJoinTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task HistoryNSendsTheLastNFramesInOrderAtTheirPositionsRightAfterTheJoinAckThenLiveFrames()
    {
        var room = TestNames.Room("v2-hist");
        await using var publisher = await fixture.EdgeA.ConnectV2Async();
        await publisher.JoinForAckAsync(room);
        var positions = await PublishAsync(publisher, room, 5);

        await using var joiner = await fixture.EdgeB.ConnectV2Async();
        var ack = await joiner.JoinForAckAsync(room, """{"history": 3}""");
        var history = await NextAsync(joiner, 3);
        Assert.Equal(["2", "3", "4"], history.Select(f => f.PayloadText));
        Assert.Equal(positions[2..], history.Select(f => f.Position!.Value));
        Assert.All(history, f => Assert.Equal(publisher.Id, f.Message.Src));
        Assert.True(ack.Position > positions[^1]);

        await publisher.SendAsync(room, "chat", "live");
        var live = await joiner.NextFrameAsync();
        Assert.Equal(("chat", "live", ack.Position + 1), (live.Event, live.PayloadText, live.Position));
    }

    [Fact]
    public async Task HistoryLargerThanTheLogSendsWhatTheLogHolds()
    {
        var room = TestNames.Room("v2-hist-all");
        await using var publisher = await fixture.EdgeA.ConnectV2Async();
        var first = await publisher.JoinForAckAsync(room);
        var positions = await PublishAsync(publisher, room, 2);

        await using var joiner = await fixture.EdgeB.ConnectV2Async();
        await joiner.JoinForAckAsync(room, """{"history": 100}""");
        var history = await NextAsync(joiner, 3);

        // The publisher's own new_member is in the log too: it comes first.
        Assert.Equal((EventNames.NewMember, publisher.Id, first.Position), (history[0].Event, history[0].PayloadText, history[0].Position));
        Assert.Equal(positions, history[1..].Select(f => f.Position!.Value));
        await AssertNextIsLiveAsync(publisher, joiner, room);
    }

    [Fact]
    public async Task SinceSendsEveryFrameLoggedAfterThePositionAndBeforeTheJoin()
    {
        var room = TestNames.Room("v2-since");
        await using var publisher = await fixture.EdgeA.ConnectV2Async();
        await publisher.JoinForAckAsync(room);
        var positions = await PublishAsync(publisher, room, 5);

        await using var joiner = await fixture.EdgeB.ConnectV2Async();
        await joiner.JoinForAckAsync(room, $$"""{"since": {{positions[1]}}}""");
        var history = await NextAsync(joiner, 3);

        Assert.Equal(positions[2..], history.Select(f => f.Position!.Value));
        Assert.Equal(["2", "3", "4"], history.Select(f => f.PayloadText));
        await AssertNextIsLiveAsync(publisher, joiner, room);
    }

    [Fact]
    public async Task SinceALogThatNoLongerReachesBackGetsHistoryGoneAfterTheJoinAckAndTheJoinStillTakesEffect()
    {
        var room = V2ClusterFixture.ShortLogPrefix + TestNames.Room("gone");
        await using var publisher = await fixture.EdgeA.ConnectV2Async();
        await publisher.JoinForAckAsync(room);
        var positions = await PublishAsync(publisher, room, V2ClusterFixture.ShortLogFrames + 3);

        await using var joiner = await fixture.EdgeB.ConnectV2Async();
        await joiner.JoinForAckAsync(room, $$"""{"since": {{positions[0]}}}""");
        var error = await joiner.NextFrameAsync();

        Assert.Equal((room, EventNames.Error, "", ""), (error.Room, error.Event, error.Message.Dst, error.Message.Src));
        Assert.Equal("history_gone", error.Json.GetProperty("code").GetString());
        Assert.Equal(room, error.Json.GetProperty("room").GetString());
        Assert.Equal(EventNames.Join, error.Json.GetProperty("event").GetString());
        await AssertNextIsLiveAsync(publisher, joiner, room);
    }

    [Fact]
    public async Task AJoinWithAnEmptyPayloadSendsNoHistory()
    {
        var room = TestNames.Room("v2-nohist");
        await using var publisher = await fixture.EdgeA.ConnectV2Async();
        await publisher.JoinForAckAsync(room);
        await PublishAsync(publisher, room, 3);

        await using var joiner = await fixture.EdgeB.ConnectV2Async();
        await joiner.JoinForAckAsync(room);
        await AssertNextIsLiveAsync(publisher, joiner, room);
    }

    /// <summary>Publishes <paramref name="count"/> frames with payloads 0, 1, …, and returns their positions from the acks.</summary>
    private static async Task<long[]> PublishAsync(TestClient publisher, string room, int count)
    {
        var positions = new long[count];
        for (var i = 0; i < count; i++)
        {
            var mid = $"h{i}";
            await publisher.PublishAsync(room, "chat", i.ToString(System.Globalization.CultureInfo.InvariantCulture), mid);
            positions[i] = (await publisher.WaitForAckAsync(mid)).Json.GetProperty("seq").GetInt64();
        }

        return positions;
    }

    private static async Task<List<ReceivedFrame>> NextAsync(TestClient client, int count)
    {
        var frames = new List<ReceivedFrame>();
        for (var i = 0; i < count; i++)
        {
            frames.Add(await client.NextFrameAsync());
        }

        return frames;
    }

    /// <summary>The joiner's next frame is a live one (no more history): what the publisher sends now.</summary>
    private static async Task AssertNextIsLiveAsync(TestClient publisher, TestClient joiner, string room)
    {
        await publisher.SendAsync(room, "chat", "live");
        var live = await joiner.NextFrameAsync();
        Assert.Equal((room, "chat", "live"), (live.Room, live.Event, live.PayloadText));
    }
}
