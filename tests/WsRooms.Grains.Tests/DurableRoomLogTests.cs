using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Delivery;
using WsRooms.Grains.Observability;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Grains.Tests;

/// <summary>
/// Durable room logs on Azurite (<see cref="DurableRoomLogClusterFixture"/> sets the rules): positions and history
/// that survive the death of the room's silo, retention applied to storage, writes batched, a too-large frame, and
/// an in-memory room beside them.
/// </summary>
[Collection(DurableRoomLogCollection.Name)]
public sealed class DurableRoomLogTests(DurableRoomLogClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(60);

    private IGrainFactory Grains => fixture.Grains;

    private IRoomLogStore Store => fixture.SiloServices.GetRequiredService<IRoomLogStore>();

    [Fact]
    public async Task PositionsAndHistorySurviveTheDeathOfTheRoomsSilo()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);
        var member = await edge.OpenConnectionAsync();
        var joined = (await Grains.GetConnection(member).TryJoinWithPositionAsync(room, 0, 0)).Position;
        var @event = TestNames.Event();
        var positions = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            positions.Add(await Grains.GetRoom(room).PublishTextWithPositionAsync(@event, $"before {i}"));
        }

        // Delivered means stored: the last frame reaching the edge is the sign that all ten are durable.
        Assert.Equal(positions[^1], (await edge.WaitForAsync(d => d.Message.Event == @event && d.Message.PayloadText == "before 9")).Position);

        var holder = await Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(Grains.GetRoom(room));
        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(holder)));

        // A read first (repeating it is harmless), until the room answers from a live silo.
        RoomHistory? history = null;
        await Poll.UntilAsync(
            async () => (history = await Grains.GetRoom(room).GetHistorySinceAsync(joined - 1)) is not null,
            FailoverTimeout,
            "the room to come back on the remaining silo");
        Assert.True(history!.Complete);
        Assert.Equal([joined, .. positions], history.Frames.Select(f => f.Position));
        Assert.Equal(EventNames.NewMember, history.Frames[0].Message.Event);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"before {i}"), history.Frames.Skip(1).Select(f => f.Message.PayloadText));
        Assert.Equal(positions[^1], history.LastPosition);

        var after = await Grains.GetRoom(room).PublishTextWithPositionAsync(@event, "after");
        Assert.Equal(positions[^1] + 1, after);
        Assert.Equal(after, (await edge.WaitForAsync(d => d.Message.PayloadText == "after")).Position);
        Assert.Equal([member], await Grains.GetRoom(room).GetMembersAsync());
    }

    [Fact]
    public async Task ADurableRoomAcksABroadcastOnceItIsStored()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);
        var (id, _) = await Grains.OpenSessionAsync(edge);
        await Grains.JoinAndWaitAsync(edge, id, room);

        var outcome = await Grains.GetConnection(id).PublishAsync(room, "chat", [], V2Sessions.Mid("m-durable"));
        var ack = await edge.WaitForAckAsync(id, "m-durable");

        Assert.Equal(outcome.Position, V2Sessions.SeqOf(ack));
        var tail = await Store.ReadTailAsync(room, 10, CancellationToken.None);
        Assert.Equal(outcome.Position, tail.LastPosition);
        Assert.Equal("chat", tail.Frames[^1].Message!.Event);
    }

    [Fact]
    public async Task HistoryOnJoinInADurableRoomComesFromTheLogOnceStored()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);

        // Published at once and joined right behind them: the history may hold frames whose write is still under way.
        var published = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Grains.GetRoom(room).PublishTextWithPositionAsync("f", $"{i}")));
        var (id, _) = await Grains.OpenSessionAsync(edge);
        var joined = await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.Last(3));

        var last = await edge.WaitForAsync(d => d.Connection == id && d.Position == published.Max());
        var tail = await Store.ReadTailAsync(room, 10, CancellationToken.None);
        Assert.True(tail.LastPosition >= last.Position, "a history frame reached the edge before it was stored");
        var marker = await edge.PublishMarkerAsync(room);
        Assert.Equal(published.Order().TakeLast(3), JoinHistoryTests.AfterLastJoinAck(edge, id, room, marker).Select(d => d.Position));
        Assert.Equal(published.Max() + 1, joined.Position);
    }

    [Fact]
    public async Task ADurableRoomReplaysAResumeFromTheLogOnceStored()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);
        var (id, start) = await Grains.OpenSessionAsync(edgeA);
        var seen = await Grains.JoinAndWaitAsync(edgeA, id, room);
        Assert.True(await Grains.GetConnection(id).SuspendAsync(start.Attachment));

        // Published at once and resumed right behind them: the replay may hold frames whose write is still under way.
        var missed = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Grains.GetRoom(room).PublishTextWithPositionAsync("missed", $"{i}")));
        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null, new Dictionary<string, long> { [room] = seen });
        Assert.True(resumed.Rooms![room]);

        var last = await edgeB.WaitForAsync(d => d.Connection == id && d.Position == missed.Max());
        Assert.True((await Store.ReadTailAsync(room, 10, CancellationToken.None)).LastPosition >= last.Position, "a replayed frame reached the edge before it was stored");
        var marker = await edgeB.PublishMarkerAsync(room);
        var replayed = edgeB.Before(marker).Where(d => d.Change == MembershipChange.Replayed).ToArray();
        Assert.Equal(missed.Order(), replayed.Select(d => d.Position));
        Assert.Equal(MembershipChange.Moved, edgeB.Before(marker)[0].Change);
    }

    [Fact]
    public async Task RetentionDeletesTheOldEndFromStorage()
    {
        var room = TestNames.Room(DurableRoomLogClusterFixture.CountedPrefix);
        var positions = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            positions.Add(await Grains.GetRoom(room).PublishTextWithPositionAsync("n", $"{i}"));
        }

        RoomLogTail? tail = null;
        await Poll.UntilAsync(
            async () => (tail = await Store.ReadTailAsync(room, 100, CancellationToken.None)).LastPosition == positions[^1]
                && tail.OldestPosition == positions[^DurableRoomLogClusterFixture.CountedFrames],
            FakeEdge.DefaultTimeout,
            "the store to hold the last frames only");
        Assert.Equal(positions.TakeLast(DurableRoomLogClusterFixture.CountedFrames), tail!.Frames.Select(f => f.Position));
        Assert.Equal(["7", "8", "9", "10", "11"], tail.Frames.Select(f => f.Message!.PayloadText));
    }

    [Fact]
    public async Task FramesQueuedWhileAWriteIsInFlightLandInOneBatch()
    {
        await using var edge = await fixture.NewEdgeAsync();
        using var meters = new MeterCollector(SiloMeters.SiloMeterName);
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);
        var member = await edge.OpenConnectionAsync();
        await Grains.GetConnection(member).JoinAsync(room);
        var @event = TestNames.Event();
        const int frames = 50;

        // Sent at once: the room's turns queue them faster than one storage write takes.
        var watch = Stopwatch.StartNew();
        var published = await Task.WhenAll(Enumerable.Range(0, frames).Select(i => Grains.GetRoom(room).PublishTextWithPositionAsync(@event, $"{i}")));
        var last = published.Max();
        await edge.WaitForAsync(d => d.Position == last);
        watch.Stop();

        var writes = meters.Sum("wsrooms.silo.roomlog.writes");
        Assert.Equal((double)(frames + 1), meters.Sum("wsrooms.silo.roomlog.frames"));
        Assert.InRange(writes, 1d, frames / 2d);
        output.WriteLine($"{frames + 1} frames (a join and {frames} publishes) in {writes} writes, delivered after {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ACleanDeactivationKeepsEveryFrameAndATooLargeFrameEndsWhatComesBack()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room(DurableRoomLogClusterFixture.DurablePrefix);
        var member = await edge.OpenConnectionAsync();
        var joined = (await Grains.GetConnection(member).TryJoinWithPositionAsync(room, 0, 0)).Position;
        var small = await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "small");
        var large = await Grains.GetRoom(room).PublishWithPositionAsync("n", new byte[(64 * 1024) + 1]);
        var tail = await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "tail");

        // The large frame is delivered all the same.
        Assert.Equal(large, (await edge.WaitForAsync(d => d.Message.Payload.Length > 64 * 1024)).Position);

        var deactivated = fixture.Cluster.WaitForDeactivationAsync(Grains.GetRoom(room).GetGrainId());
        await Grains.GetConnection(member).LeaveAsync(room);
        await deactivated.WaitAsync(FakeEdge.DefaultTimeout);

        // Back from storage: positions continue, and the log reaches back to just above the frame it could not keep.
        var history = await Grains.GetRoom(room).GetHistorySinceAsync(joined - 1);
        Assert.False(history.Complete);
        Assert.Equal([tail, tail + 1], history.Frames.Select(f => f.Position));
        Assert.Equal(EventNames.MemberLeft, history.Frames[1].Message.Event);
        Assert.Equal(tail + 2, await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "next"));
        Assert.True((await Grains.GetRoom(room).GetHistorySinceAsync(large)).Complete);
        Assert.True(small > joined);
    }

    [Fact]
    public async Task ARoomWithoutADurableRuleKeepsItsLogInMemoryOnly()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var member = await edge.OpenConnectionAsync();
        await Grains.GetConnection(member).JoinAsync(room);
        var published = await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "memory");
        await edge.WaitForAsync(d => d.Position == published);

        Assert.Equal(published, (await Grains.GetRoom(room).GetHistoryAsync(1)).Frames.Single().Position);
        Assert.Same(RoomLogTail.Empty, await Store.ReadTailAsync(room, 100, CancellationToken.None));

        // Its log goes with the activation, and the next begins above it from the clock.
        var deactivated = fixture.Cluster.WaitForDeactivationAsync(Grains.GetRoom(room).GetGrainId());
        await Grains.GetConnection(member).LeaveAsync(room);
        await deactivated.WaitAsync(FakeEdge.DefaultTimeout);
        var history = await Grains.GetRoom(room).GetHistorySinceAsync(published);
        Assert.False(history.Complete);
        Assert.Empty(history.Frames);
        Assert.True(history.LastPosition > published + 1);
    }
}
