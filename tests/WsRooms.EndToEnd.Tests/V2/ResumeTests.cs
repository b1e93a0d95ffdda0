using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// v2 resume (docs/protocol.md, "Resume"): a session whose socket was aborted on one edge host resumes on the other
/// with its id and rooms, and gets every frame it missed once, in order, before any live frame.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class ResumeTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task AnAbortedSessionResumesOnTheOtherEdgeWithItsIdItsRoomsAndEveryMissedFrameOnceInOrderBeforeLive()
    {
        var (red, blue) = (TestNames.Room("v2-red"), TestNames.Room("v2-blue"));
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var watcher = await fixture.EdgeB.ConnectAsync();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        foreach (var room in new[] { red, blue })
        {
            await peer.JoinForAckAsync(room);
            await client.JoinForAckAsync(room);
        }

        await watcher.JoinAsync(red);
        await peer.SendAsync(red, "chat", "before");
        await client.WaitForFrameAsync(f => f.PayloadText == "before");

        client.Abort();
        // Published while the session is suspended: logged, acked, waiting for it.
        for (var i = 0; i < 4; i++)
        {
            await peer.PublishAsync(red, "chat", $"red{i}", $"r{i}");
            await peer.PublishAsync(blue, "chat", $"blue{i}", $"b{i}");
        }

        await peer.WaitForAckAsync("b3");
        var resumed = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload());
        await using var _ = resumed;

        Assert.True(resumed.Resumed!.Resumed);
        Assert.Equal(client.Id, resumed.Id);
        Assert.Equal(new Dictionary<string, bool> { [red] = true, [blue] = true }, resumed.Resumed.Rooms);
        Assert.NotEqual(client.SessionToken, resumed.SessionToken);
        Assert.Equal((int)V2ClusterFixture.GracePeriod.TotalMilliseconds, resumed.GraceMs);

        // Live frames sent now come after the replay of their room.
        await peer.SendAsync(red, "chat", "red-live");
        await peer.SendAsync(blue, "chat", "blue-live");
        var frames = new List<ReceivedFrame>();
        while (!(frames.Any(f => f.PayloadText == "red-live") && frames.Any(f => f.PayloadText == "blue-live")))
        {
            frames.Add(await resumed.NextFrameAsync());
        }

        Assert.Equal(["red0", "red1", "red2", "red3", "red-live"], frames.Where(f => f.Room == red).Select(f => f.PayloadText));
        Assert.Equal(["blue0", "blue1", "blue2", "blue3", "blue-live"], frames.Where(f => f.Room == blue).Select(f => f.PayloadText));
        foreach (var room in new[] { red, blue })
        {
            var positions = frames.Where(f => f.Room == room).Select(f => f.Position!.Value).ToList();
            Assert.Equal(client.RoomPositions[room] + 1, positions[0]);
            Assert.Equal(Enumerable.Range(0, positions.Count).Select(i => positions[0] + i), positions);
        }

        // Nobody was told: no member_left, no new_member, in either room, on either version.
        await peer.SendAsync(red, "chat", "marker");
        var seen = await watcher.CollectUntilAsync(m => m.PayloadText == "marker");
        Assert.DoesNotContain(seen, m => m.Event is EventNames.MemberLeft or EventNames.NewMember);
        Assert.Equal(
            new[] { client.Id, peer.Id, watcher.Id }.Order(StringComparer.Ordinal),
            (await fixture.Cluster.Grains.GetRoom(red).GetMembersAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ARoomTheResumeNamesNoPositionForIsAnsweredFalseAndStaysJoined()
    {
        var (named, unnamed) = (TestNames.Room("v2-named"), TestNames.Room("v2-unnamed"));
        await using var peer = await fixture.EdgeA.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        foreach (var room in new[] { named, unnamed })
        {
            await peer.JoinForAckAsync(room);
            await client.JoinForAckAsync(room);
        }

        client.Abort();
        await peer.PublishAsync(unnamed, "chat", "missed", "u0");
        await peer.WaitForAckAsync("u0");
        var payload = client.CreateResumePayload();
        await using var resumed = await fixture.EdgeB.ResumeAsync(payload with { Rooms = payload.Rooms.Where(r => r.Key == named).ToDictionary() });

        Assert.True(resumed.Resumed!.Resumed);
        Assert.Equal(new Dictionary<string, bool> { [named] = true, [unnamed] = false }, resumed.Resumed.Rooms);
        await peer.SendAsync(unnamed, "chat", "live");
        var next = await resumed.WaitForFrameAsync(f => f.Room == unnamed);
        Assert.Equal("live", next.PayloadText); // false: nothing replayed, live traffic all the same
    }

    [Fact]
    public async Task AResumeFromAPositionTheLogNoLongerHoldsIsAnsweredFalseAndLiveFramesFollow()
    {
        var room = V2ClusterFixture.ShortLogPrefix + TestNames.Room("resume");
        await using var peer = await fixture.EdgeA.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await client.JoinForAckAsync(room);

        client.Abort();
        for (var i = 0; i < V2ClusterFixture.ShortLogFrames + 2; i++)
        {
            await peer.PublishAsync(room, "chat", $"m{i}", $"m{i}");
            await peer.WaitForAckAsync($"m{i}");
        }

        await using var resumed = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload());

        Assert.True(resumed.Resumed!.Resumed);
        Assert.False(resumed.Resumed.Rooms[room]);
        await peer.SendAsync(room, "chat", "live");
        Assert.Equal("live", (await resumed.WaitForFrameAsync(f => f.Room == room)).PayloadText);
    }

    [Fact]
    public async Task ASessionResumedTwiceKeepsItsIdAndFramesAcrossThreeSockets()
    {
        var room = TestNames.Room("v2-twice");
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var first = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await first.JoinForAckAsync(room);

        first.Abort();
        await peer.SendAsync(room, "chat", "one");
        await using var second = await fixture.EdgeB.ResumeAsync(first.CreateResumePayload());
        Assert.Equal("one", (await second.WaitForFrameAsync(f => f.Room == room)).PayloadText);

        second.Abort();
        await peer.SendAsync(room, "chat", "two");
        await using var third = await fixture.EdgeA.ResumeAsync(second.CreateResumePayload());

        Assert.True(third.Resumed!.Resumed);
        Assert.Equal(first.Id, third.Id);
        Assert.Equal("two", (await third.WaitForFrameAsync(f => f.Room == room)).PayloadText);
    }
}
