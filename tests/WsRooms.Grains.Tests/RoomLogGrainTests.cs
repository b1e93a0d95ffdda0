using System.Text;
using WsRooms.Delivery;
using WsRooms.Grains.RoomLogs;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// Room logs on the two-silo cluster: the positions the edges receive with each delivery, the history reads and
/// publish's position, retention per room-name pattern (<see cref="ClusterFixture"/> sets the rules), and a room that
/// comes back after deactivating.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoomLogGrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task PositionsBeginAboveTheClockAndEveryFanOutTakesTheNextOne()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var first = await edgeA.OpenConnectionAsync();
        var second = await edgeB.OpenConnectionAsync();

        var before = RoomLog.FirstPositionAt(DateTimeOffset.UtcNow);
        var join = await Grains.GetConnection(first).TryJoinWithPositionAsync(room, 0, 0);
        Assert.Equal(JoinResult.Joined, join.Result);
        Assert.InRange(join.Position, before, RoomLog.FirstPositionAt(DateTimeOffset.UtcNow));
        var p = join.Position;

        Assert.Equal(p + 1, await Grains.GetRoom(room).PublishTextWithPositionAsync(TestNames.Event(), "alone"));
        var secondJoin = await Grains.GetConnection(second).TryJoinWithPositionAsync(room, 0, 0);
        Assert.Equal(new RoomJoin(JoinResult.Joined, p + 2), secondJoin);

        var broadcast = TestNames.Event();
        Assert.True(await Grains.GetRoom(room).BroadcastFromMemberAsync(first, broadcast, Encoding.UTF8.GetBytes("hi")));
        Assert.True(await Grains.GetConnection(second).LeaveAsync(room));

        // Edge A (the first member): its join_ack at p, new_member at p + 2, the broadcast would skip it (alone with
        // the sender), member_left at p + 4.
        var ackA = await edgeA.WaitForConnectionEventAsync(first, room, EventNames.JoinAck);
        Assert.Equal(p, ackA.Position);
        Assert.Equal(p + 2, (await edgeA.WaitForRoomEventAsync(room, EventNames.NewMember)).Position);
        Assert.Equal(p + 4, (await edgeA.WaitForRoomEventAsync(room, EventNames.MemberLeft)).Position);

        // Edge B (the second member): its join_ack at p + 2, the broadcast at p + 3, its leave_ack with none.
        Assert.Equal(p + 2, (await edgeB.WaitForConnectionEventAsync(second, room, EventNames.JoinAck)).Position);
        Assert.Equal(p + 3, (await edgeB.WaitForRoomEventAsync(room, broadcast)).Position);
        Assert.Equal(0, (await edgeB.WaitForConnectionEventAsync(second, room, EventNames.LeaveAck)).Position);

        var history = await Grains.GetRoom(room).GetHistoryAsync(10);
        Assert.Equal([p, p + 1, p + 2, p + 3, p + 4], history.Frames.Select(f => f.Position));
        Assert.Equal([EventNames.NewMember, history.Frames[1].Message.Event, EventNames.NewMember, broadcast, EventNames.MemberLeft], history.Frames.Select(f => f.Message.Event));
        Assert.Equal(first, history.Frames[3].Message.Src);
        Assert.Equal(p + 4, history.LastPosition);
        Assert.True(history.Complete);
    }

    [Fact]
    public async Task AJoinerAloneIsLoggedAndItsJoinAckCarriesThatPosition()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var joiner = await edge.OpenConnectionAsync();

        var join = await Grains.GetConnection(joiner).TryJoinWithPositionAsync(room, 0, 0);

        var ack = await edge.WaitForConnectionEventAsync(joiner, room, EventNames.JoinAck);
        Assert.Equal(join.Position, ack.Position);
        var history = await Grains.GetRoom(room).GetHistoryAsync(10);
        var logged = Assert.Single(history.Frames);
        Assert.Equal(join.Position, logged.Position);
        Assert.Equal(EventNames.NewMember, logged.Message.Event);
        Assert.Equal(joiner, logged.Message.PayloadText);

        // Nobody else is here: nothing but the join_ack went out.
        var marker = await edge.PublishMarkerAsync(room);
        Assert.Equal(join.Position + 1, marker.Position);
        Assert.DoesNotContain(edge.Before(marker), d => d.Message.Event == EventNames.NewMember);

        // Joining again logs nothing and answers with the last position.
        var again = await Grains.GetConnection(joiner).TryJoinWithPositionAsync(room, 0, 0);
        Assert.Equal(new RoomJoin(JoinResult.AlreadyMember, join.Position + 1), again);
        Assert.Equal(join.Position + 1, (await Grains.GetRoom(room).GetHistoryAsync(10)).LastPosition);
    }

    [Fact]
    public async Task ARefusedJoinHasNoPosition()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        await Grains.GetConnection(await edge.OpenConnectionAsync()).JoinAsync(room);

        Assert.Equal(new RoomJoin(JoinResult.RoomFull), await Grains.GetConnection(await edge.OpenConnectionAsync()).TryJoinWithPositionAsync(room, 0, 1));
        Assert.Equal(new RoomJoin(JoinResult.UnknownConnection), await Grains.GetConnection(TestNames.Connection()).TryJoinWithPositionAsync(room, 0, 0));
        Assert.Single((await Grains.GetRoom(room).GetHistoryAsync(10)).Frames);
    }

    [Fact]
    public async Task RootHasNoLogAndItsFramesNoPositions()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var root = Grains.GetRoom(EventNames.RootRoom);
        await root.AttachEdgeAsync(edge.Id);
        try
        {
            var broadcast = TestNames.Event();
            Assert.True(await root.BroadcastFromMemberAsync(TestNames.Connection(), broadcast, []));
            var published = TestNames.Event();
            Assert.Equal(0, await root.PublishTextWithPositionAsync(published, "all"));

            Assert.Equal(0, (await edge.WaitForRoomEventAsync(EventNames.RootRoom, broadcast)).Position);
            Assert.Equal(0, (await edge.WaitForRoomEventAsync(EventNames.RootRoom, published)).Position);
            var last = await root.GetHistoryAsync(10);
            Assert.Empty(last.Frames);
            Assert.False(last.Complete);
            Assert.False((await root.GetHistorySinceAsync(0)).Complete);
        }
        finally
        {
            await root.DetachEdgeAsync(edge.Id);
        }
    }

    [Fact]
    public async Task ConcurrentPublishersOnTwoEdgesGiveEveryEdgeOneOrder()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();

        // Two members per edge, so every fan-out reaches both edges whoever sends it.
        string[] publishers = [await edgeA.OpenConnectionAsync(), await edgeB.OpenConnectionAsync()];
        string[] listeners = [await edgeA.OpenConnectionAsync(), await edgeB.OpenConnectionAsync()];
        foreach (var id in publishers.Concat(listeners))
        {
            await Grains.GetConnection(id).JoinAsync(room);
        }

        var @event = TestNames.Event();
        const int perPublisher = 100;
        await Task.WhenAll(publishers.Select(async publisher =>
        {
            for (var i = 0; i < perPublisher; i++)
            {
                Assert.True(await Grains.GetRoom(room).BroadcastFromMemberAsync(publisher, @event, Encoding.UTF8.GetBytes($"{publisher}/{i}")));
            }
        }));

        var markerA = await edgeA.PublishMarkerAsync(room);
        var markerB = await edgeB.WaitForAsync(d => d.Message.Event == markerA.Message.Event);
        var seenA = edgeA.Before(markerA).Where(d => d.Message.Event == @event).ToArray();
        var seenB = edgeB.Before(markerB).Where(d => d.Message.Event == @event).ToArray();

        Assert.Equal(2 * perPublisher, seenA.Length);
        for (var i = 1; i < seenA.Length; i++)
        {
            Assert.Equal(seenA[i - 1].Position + 1, seenA[i].Position);
        }

        Assert.Equal(seenA.Select(d => (d.Position, d.Message.PayloadText)), seenB.Select(d => (d.Position, d.Message.PayloadText)));
        Assert.Equal(seenA[^1].Position + 1, markerA.Position);

        // Each publisher's own frames keep its order within the one order.
        foreach (var publisher in publishers)
        {
            Assert.Equal(
                Enumerable.Range(0, perPublisher).Select(i => $"{publisher}/{i}"),
                seenA.Where(d => d.Message.Src == publisher).Select(d => d.Message.PayloadText));
        }

        // The log holds the same order.
        var history = await Grains.GetRoom(room).GetHistorySinceAsync(seenA[0].Position - 1, before: markerA.Position);
        Assert.True(history.Complete);
        Assert.Equal(seenA.Select(d => (d.Position, d.Message.PayloadText)), history.Frames.Select(f => (f.Position, f.Message.PayloadText)));
    }

    [Fact]
    public async Task HistoryBeforeAJoinIsTheLastNOrEverythingSinceAPosition()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var member = await edge.OpenConnectionAsync();
        var first = (await Grains.GetConnection(member).TryJoinWithPositionAsync(room, 0, 0)).Position;
        var published = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            published.Add(await Grains.GetRoom(room).PublishTextWithPositionAsync("news", $"n{i}"));
        }

        var joinedAt = (await Grains.GetConnection(await edge.OpenConnectionAsync()).TryJoinWithPositionAsync(room, 0, 0)).Position;
        await Grains.GetRoom(room).PublishTextAsync("news", "after");
        Assert.Equal(published[^1] + 1, joinedAt);

        var last3 = await Grains.GetRoom(room).GetHistoryAsync(3, before: joinedAt);
        Assert.Equal(["n3", "n4", "n5"], last3.Frames.Select(f => f.Message.PayloadText));
        Assert.True(last3.Complete);
        Assert.Equal(joinedAt + 1, last3.LastPosition);

        var since = await Grains.GetRoom(room).GetHistorySinceAsync(published[1], before: joinedAt);
        Assert.Equal(["n2", "n3", "n4", "n5"], since.Frames.Select(f => f.Message.PayloadText));
        Assert.True(since.Complete);

        var everything = await Grains.GetRoom(room).GetHistorySinceAsync(first - 1);
        Assert.True(everything.Complete);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => first + i), everything.Frames.Select(f => f.Position));
        Assert.Equal("after", everything.Frames[^1].Message.PayloadText);
    }

    [Fact]
    public async Task ARoomRuleLimitsFramesAndAReadSinceADroppedPositionSaysSo()
    {
        var room = TestNames.Room(ClusterFixture.CountedPrefix);
        var positions = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            positions.Add(await Grains.GetRoom(room).PublishTextWithPositionAsync("n", $"{i}"));
        }

        var last = await Grains.GetRoom(room).GetHistoryAsync(100);
        Assert.Equal(positions.TakeLast(ClusterFixture.CountedFrames), last.Frames.Select(f => f.Position));
        Assert.False(last.Complete);
        Assert.Equal(positions[^ClusterFixture.CountedFrames], last.OldestPosition);

        var reaches = await Grains.GetRoom(room).GetHistorySinceAsync(positions[^(ClusterFixture.CountedFrames + 1)]);
        Assert.True(reaches.Complete);
        Assert.Equal(ClusterFixture.CountedFrames, reaches.Frames.Count);

        var gone = await Grains.GetRoom(room).GetHistorySinceAsync(positions[0]);
        Assert.False(gone.Complete);
        Assert.Equal(positions.TakeLast(ClusterFixture.CountedFrames), gone.Frames.Select(f => f.Position));
    }

    [Fact]
    public async Task AnExactRuleWinsOverAPrefixRule()
    {
        for (var i = 0; i < 6; i++)
        {
            await Grains.GetRoom(ClusterFixture.ExactRoom).PublishTextAsync("n", $"{i}");
        }

        var history = await Grains.GetRoom(ClusterFixture.ExactRoom).GetHistoryAsync(100);
        Assert.Equal(["4", "5"], history.Frames.Select(f => f.Message.PayloadText));
    }

    [Fact]
    public async Task ARoomRuleLimitsBytes()
    {
        var room = TestNames.Room(ClusterFixture.BytesPrefix);
        var frameBytes = 100 + RoomLog.FrameOverheadBytes;
        for (var i = 0; i < 5; i++)
        {
            await Grains.GetRoom(room).PublishAsync("n", new byte[100]);
        }

        var history = await Grains.GetRoom(room).GetHistoryAsync(100);
        Assert.Equal(ClusterFixture.BytesMaxBytes / frameBytes, history.Frames.Count);
        Assert.False(history.Complete);
    }

    [Fact]
    public async Task ARoomRuleLimitsAge()
    {
        var room = TestNames.Room(ClusterFixture.AgedPrefix);
        var old = await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "old");
        Assert.Single((await Grains.GetRoom(room).GetHistoryAsync(10)).Frames);

        await Poll.UntilAsync(
            async () => (await Grains.GetRoom(room).GetHistoryAsync(10)).Frames.Count == 0,
            TimeSpan.FromSeconds(15),
            "the frame to pass its MaxAge");

        var fresh = await Grains.GetRoom(room).PublishTextWithPositionAsync("n", "fresh");
        Assert.Equal(old + 1, fresh);
        var history = await Grains.GetRoom(room).GetHistorySinceAsync(old - 1);
        Assert.False(history.Complete);
        Assert.Equal(["fresh"], history.Frames.Select(f => f.Message.PayloadText));
    }

    [Fact]
    public async Task ARoomThatComesBackContinuesAboveEveryEarlierPosition()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var member = await edge.OpenConnectionAsync();
        await Grains.GetConnection(member).JoinAsync(room);
        for (var i = 0; i < 50; i++)
        {
            await Grains.GetRoom(room).PublishTextAsync("n", $"{i}");
        }

        var lastBefore = (await Grains.GetRoom(room).GetHistoryAsync(1)).LastPosition;

        // The last member leaves: the room deactivates, and its log goes with it.
        var id = Grains.GetRoom(room).GetGrainId();
        var deactivated = fixture.Cluster.WaitForDeactivationAsync(id);
        await Grains.GetConnection(member).LeaveAsync(room);
        await deactivated.WaitAsync(FakeEdge.DefaultTimeout);

        var rejoin = await Grains.GetConnection(member).TryJoinWithPositionAsync(room, 0, 0);
        Assert.True(rejoin.Position > lastBefore + 1, $"{rejoin.Position} should be above {lastBefore}");
        var since = await Grains.GetRoom(room).GetHistorySinceAsync(lastBefore);
        Assert.False(since.Complete);
        Assert.Equal([rejoin.Position], since.Frames.Select(f => f.Position));
        Assert.Equal(rejoin.Position, (await edge.WaitForAsync(d => d.Connection == member && d.Message.Event == EventNames.JoinAck && d.Position > lastBefore)).Position);
    }
}
