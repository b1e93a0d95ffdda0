using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// A resume's room replay: each room posts Moved, then every frame after the client's position at its original
/// position (without the member's own), then its live frames, on the new edge's stream; or, when the log no longer
/// reaches back, says so and replays nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ResumeReplayTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task TheReplayComesAfterMovedAndBeforeTheRoomsLiveFramesEachOnce()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var quiet = TestNames.Room();
        var watcher = await watcherEdge.OpenConnectionAsync();
        await Grains.JoinAndWaitAsync(watcherEdge, watcher, room);
        var (id, start) = await Grains.OpenSessionAsync(edgeA);
        var seen = await Grains.JoinAndWaitAsync(edgeA, id, room);
        await Grains.JoinAndWaitAsync(edgeA, id, quiet);

        // Missed: frames while the socket was gone, and one of its own (acked, never sent back to it).
        var own = await Grains.GetRoom(room).BroadcastAckedAsync(id, "own", [], []);
        Assert.True(await Grains.GetConnection(id).SuspendAsync(start.Attachment));
        for (var i = 0; i < 3; i++)
        {
            await Grains.GetRoom(room).PublishTextAsync("missed", $"{i}");
        }

        // Live frames race the resume.
        using var stop = new CancellationTokenSource();
        var live = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                await Grains.GetRoom(room).PublishTextAsync("live", $"{n++}");
            }
        });
        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null, new Dictionary<string, long> { [room] = seen });
        var afterResume = await Grains.GetRoom(room).PublishTextWithPositionAsync("live", "after");
        await stop.CancelAsync();
        await live;

        Assert.Equal(new Dictionary<string, bool> { [room] = true, [quiet] = false }, resumed.Rooms);
        await edgeB.WaitForAsync(d => d.Position == afterResume);
        var got = edgeB.Received.Where(d => d.Message.Room == room && d.Position <= afterResume).ToArray();
        var moved = got[0];
        Assert.Equal((MembershipChange.Moved, id), (moved.Change, moved.Connection));

        // Replayed first, then live; together every position after the client's once, in order, but its own.
        var replayed = got.Skip(1).TakeWhile(d => d.Change == MembershipChange.Replayed).ToArray();
        Assert.Equal(["missed", "missed", "missed"], replayed.Select(d => d.Message.Event).Where(e => e != "live"));
        Assert.All(replayed, d => Assert.True(d.Position <= moved.Position));
        var rest = got.Skip(1 + replayed.Length).ToArray();
        Assert.All(rest, d => Assert.Equal((MembershipChange.None, (string?)null), (d.Change, d.Connection)));
        Assert.All(rest, d => Assert.True(d.Position > moved.Position));
        var expected = Enumerable.Range(1, (int)(afterResume - seen)).Select(i => seen + i).Where(p => p != own.Position);
        Assert.Equal(expected, got.Skip(1).Select(d => d.Position));

        // The quiet room moved and replays nothing: the client named no position for it.
        Assert.Equal(MembershipChange.Moved, (await edgeB.WaitForConnectionEventAsync(id, quiet, EventNames.JoinAck)).Change);
        Assert.DoesNotContain(edgeB.Received, d => d.Message.Room == quiet && d.Change == MembershipChange.Replayed);
    }

    [Fact]
    public async Task DirectMessagesRacingTheResumeComeOnceAfterTheDirectReplay()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var (id, start) = await Grains.OpenSessionAsync(edgeA);
        var session = Grains.GetConnection(id);
        var seen = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "seen"));
        await session.SuspendAsync(start.Attachment);
        await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "missed"));

        // Sent while the resume runs: each lands in the replay or live after it, never both, never ahead of it.
        using var stop = new CancellationTokenSource();
        var racing = Task.Run(async () =>
        {
            var last = 0L;
            while (!stop.IsCancellationRequested)
            {
                last = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "racing"));
            }

            return last;
        });
        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, seen);
        var after = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "after"));
        await stop.CancelAsync();
        await racing;

        Assert.True(resumed.Direct);
        await edgeB.WaitForAsync(d => d.Position == after);
        var got = edgeB.Received.Where(d => d.Connection == id && d.Message.Event == "dm" && d.Position <= after).ToArray();
        Assert.Equal(Enumerable.Range(1, (int)(after - seen)).Select(i => seen + i), got.Select(d => d.Position));
        var replayed = got.TakeWhile(d => d.Change == MembershipChange.Replayed).Count();
        Assert.True(replayed >= 1);
        Assert.All(got.Skip(replayed), d => Assert.Equal(MembershipChange.None, d.Change));
        Assert.DoesNotContain(edgeA.Received, d => d.Connection == id && d.Position > seen && d.Position <= after);
    }

    [Fact]
    public async Task ALogThatNoLongerReachesBackReplaysNothingAndSaysSo()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room(ClusterFixture.CountedPrefix);
        var (id, start) = await Grains.OpenSessionAsync(edgeA);
        var seen = await Grains.JoinAndWaitAsync(edgeA, id, room);
        await Grains.GetConnection(id).SuspendAsync(start.Attachment);
        for (var i = 0; i <= ClusterFixture.CountedFrames; i++)
        {
            await Grains.GetRoom(room).PublishTextAsync("missed", $"{i}");
        }

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null, new Dictionary<string, long> { [room] = seen });
        Assert.False(resumed.Rooms![room]);
        var marker = await edgeB.PublishMarkerAsync(room);
        var before = edgeB.Before(marker);
        Assert.Equal(MembershipChange.Moved, Assert.Single(before).Change);

        // Up to date is complete: nothing to replay, and true.
        await Grains.GetConnection(id).SuspendAsync(resumed.Session!.Attachment);
        var again = await Grains.ResumeSessionAsync(resumed.Session.Token, "alice", edgeA.Id, null, new Dictionary<string, long> { [room] = marker.Position });
        Assert.True(again.Rooms![room]);
        var next = await edgeA.PublishMarkerAsync(room);
        Assert.DoesNotContain(edgeA.Before(next), d => d.Change == MembershipChange.Replayed);
    }

    [Fact]
    public async Task AResumeOnTheSameEdgeWhileTheOldSocketIsOpenSupersedesItThere()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var (id, start) = await Grains.OpenSessionAsync(edge);
        var sent = await Grains.GetConnection(id).SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "x"));

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edge.Id, sent - 1);
        Assert.True(resumed.PreviousSocketOpen);
        Assert.True(resumed.Direct);

        // Superseded first, then the replay, both from this grain in that order.
        var superseded = await edge.WaitForAsync(d => d.Change == MembershipChange.Superseded);
        var replayed = await edge.WaitForAsync(d => d.Change == MembershipChange.Replayed);
        Assert.Equal(id, superseded.Connection);
        Assert.Equal((id, sent), (replayed.Connection, replayed.Position));
        Assert.True(edge.IndexOf(superseded) < edge.IndexOf(replayed));
    }
}
