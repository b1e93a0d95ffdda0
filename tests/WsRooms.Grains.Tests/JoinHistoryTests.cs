using System.Text.Json;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// History on join in the grains: the frames asked for follow the join_ack to the joiner, oldest first at their
/// positions, before any live frame, without the joiner's own frames; a position the log no longer reaches gets
/// <c>history_gone</c>, and the join takes effect all the same.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JoinHistoryTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task TheLastFramesFollowTheJoinAckBeforeAnyLiveFrameWithoutTheJoinersOwn()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var watcher = await watcherEdge.OpenConnectionAsync();
        var watcherJoined = await Grains.JoinAndWaitAsync(watcherEdge, watcher, room);
        var (id, _) = await Grains.OpenSessionAsync(edge);

        // An earlier membership of the joiner: its new_member, its broadcast and its member_left are its own.
        await Grains.JoinAndWaitAsync(edge, id, room);
        await Grains.GetRoom(room).BroadcastAckedAsync(id, "own", [], []);
        await Grains.GetConnection(id).LeaveAsync(room);
        long[] published =
        [
            await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "1"),
            await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "2"),
            await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "3"),
        ];

        var joined = await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.Last(10));
        Assert.Equal(published[^1] + 1, joined.Position);
        await Grains.GetRoom(room).PublishTextAsync("live", "");

        var live = await edge.WaitForRoomEventAsync(room, "live");
        var afterAck = AfterLastJoinAck(edge, id, room, live);
        Assert.Equal([watcherJoined, .. published], afterAck.Select(d => d.Position));
        Assert.Equal([EventNames.NewMember, "f", "f", "f"], afterAck.Select(d => d.Message.Event));
        Assert.Equal(watcher, afterAck[0].Message.PayloadText);
        Assert.All(afterAck, d => Assert.Equal((id, MembershipChange.None), (d.Connection, d.Change)));
        Assert.Equal(joined.Position + 1, live.Position);

        // By count: the last ones only.
        var (other, _) = await Grains.OpenSessionAsync(edge);
        await Grains.GetConnection(other).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.Last(2));
        var marker = await edge.PublishMarkerAsync(room);
        Assert.Equal([joined.Position, live.Position], AfterLastJoinAck(edge, other, room, marker).Select(d => d.Position));
    }

    [Fact]
    public async Task SinceAPositionSendsWhatFollowsItAndARepeatedJoinSendsHistoryToo()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var first = await edge.OpenConnectionAsync();
        await Grains.JoinAndWaitAsync(edge, first, room);
        var p1 = await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "1");
        var p2 = await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "2");
        var (id, _) = await Grains.OpenSessionAsync(edge);

        await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.After(p1));
        var marker = await edge.PublishMarkerAsync(room);
        Assert.Equal([p2], AfterLastJoinAck(edge, id, room, marker).Select(d => d.Position));

        // Up to date: nothing. Already a member: the history before the repeated join_ack's position, marker included.
        var again = await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.After(marker.Position - 1));
        Assert.Equal(JoinResult.AlreadyMember, again.Result);
        Assert.Equal(marker.Position, again.Position);
        var next = await edge.PublishMarkerAsync(room);
        Assert.Equal([marker.Position], AfterLastJoinAck(edge, id, room, next).Select(d => d.Position));
    }

    [Fact]
    public async Task APositionTheLogNoLongerReachesGetsHistoryGoneAndTheJoinStands()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room(ClusterFixture.CountedPrefix);
        var first = await Grains.GetRoom(room).PublishTextWithPositionAsync("f", "0");
        for (var i = 1; i <= ClusterFixture.CountedFrames; i++)
        {
            await Grains.GetRoom(room).PublishTextAsync("f", $"{i}");
        }

        var (id, _) = await Grains.OpenSessionAsync(edge);
        var joined = await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.After(first - 1));
        Assert.Equal(JoinResult.Joined, joined.Result);

        var marker = await edge.PublishMarkerAsync(room);
        var error = Assert.Single(AfterLastJoinAck(edge, id, room, marker));
        Assert.Equal(EventNames.Error, error.Message.Event);
        Assert.Equal(id, error.Connection);
        using var json = JsonDocument.Parse(error.Message.Payload);
        Assert.Equal(ErrorFrames.HistoryGone, json.RootElement.GetProperty("code").GetString());
        Assert.Equal(room, json.RootElement.GetProperty("room").GetString());
        Assert.Equal(EventNames.Join, json.RootElement.GetProperty("event").GetString());
        Assert.Contains(id, await Grains.GetRoom(room).GetMembersAsync());

        // A position beyond what the log ever gave is gone too: it is from a log the client cannot have seen.
        await Grains.GetConnection(id).TryJoinWithPositionAsync(room, 0, 0, JoinHistory.After(marker.Position + 100));
        var next = await edge.PublishMarkerAsync(room);
        Assert.Equal(EventNames.Error, Assert.Single(AfterLastJoinAck(edge, id, room, next)).Message.Event);
    }

    /// <summary>What <paramref name="edge"/> got for <paramref name="connection"/> after its last join_ack in <paramref name="room"/> and before <paramref name="marker"/>, but the marker-like room frames.</summary>
    internal static IReadOnlyList<EdgeDelivery> AfterLastJoinAck(FakeEdge edge, string connection, string room, EdgeDelivery marker)
    {
        var before = edge.Before(marker);
        var ack = before.Select((d, i) => (d, i)).Last(x => x.d.Connection == connection && x.d.Message.Room == room && x.d.Message.Event == EventNames.JoinAck).i;
        return [.. before.Skip(ack + 1).Where(d => d.Connection == connection)];
    }
}
