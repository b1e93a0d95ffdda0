using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// v2 sessions in the grains: tokens, suspension, resume on another edge host with the rooms moved there and the
/// direct log replayed, v1 connections beside them, and the lease reaper suspending a dead edge's sessions.
/// </summary>
/// <remarks>Run twice: on memory providers (<see cref="MemorySessionTests"/>) and on Azure Table storage in Azurite (<see cref="AzureTableSessionTests"/>).</remarks>
public abstract class SessionTests(GrainsClusterFixture fixture)
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(20);

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task ASessionGetsATokenThatNamesItAndIsItsOwn()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edge, "alice");
        var (_, other) = await OpenSessionAsync(edge, "alice");

        Assert.True(SessionTokens.TryGetSessionId(start.Token, out var named));
        Assert.Equal(id, named);
        Assert.NotEqual(start.Token, other.Token);
        Assert.True(start.Token.Length > id.Length + 40, "32 random bytes in base64url follow the id");
        Assert.Equal(TimeSpan.FromSeconds(30), start.GracePeriod);
        Assert.Equal(edge.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);
    }

    [Fact]
    public async Task ATokenResumesOnceAndTheNewTokenResumesNext()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        Assert.True(await Grains.GetConnection(id).SuspendAsync(start.Attachment));

        var first = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, first.Outcome);
        Assert.Equal(id, first.SessionId);
        Assert.NotEqual(start.Token, first.Session!.Token);
        Assert.Equal(start.Attachment + 1, first.Session.Attachment);

        var again = await Grains.ResumeSessionAsync(start.Token, "alice", edgeA.Id, null);
        Assert.Equal(ResumeOutcome.UnknownToken, again.Outcome);
        Assert.Equal(edgeB.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);

        var next = await Grains.ResumeSessionAsync(first.Session.Token, "alice", edgeA.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, next.Outcome);
        Assert.Equal(edgeA.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);
    }

    [Fact]
    public async Task AForeignIdentityIsRefusedAndDoesNotSpendTheToken()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        await Grains.GetConnection(id).SuspendAsync(start.Attachment);

        Assert.Equal(ResumeOutcome.ForeignIdentity, (await Grains.ResumeSessionAsync(start.Token, "mallory", edgeB.Id, null)).Outcome);
        Assert.Equal(ResumeOutcome.ForeignIdentity, (await Grains.ResumeSessionAsync(start.Token, "", edgeB.Id, null)).Outcome);
        Assert.Equal(edgeA.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);

        Assert.Equal(ResumeOutcome.Resumed, (await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null)).Outcome);
    }

    [Fact]
    public async Task AnAnonymousSessionResumesWithItsTokenAlone()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edgeA, "");
        await Grains.GetConnection(id).SuspendAsync(start.Attachment);

        Assert.Equal(ResumeOutcome.ForeignIdentity, (await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null)).Outcome);
        Assert.Equal(ResumeOutcome.Resumed, (await Grains.ResumeSessionAsync(start.Token, "", edgeB.Id, null)).Outcome);
    }

    [Fact]
    public async Task WrongAndUnknownTokensAreRefused()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edge, "alice");
        var (otherId, other) = await OpenSessionAsync(edge, "alice");
        var v1 = TestNames.Connection();
        await Grains.GetConnection(v1).OpenAsync(edge.Id, new Dictionary<string, string>());

        var secret = start.Token[(id.Length + 1)..];
        var flipped = (secret[0] == 'A' ? 'B' : 'A') + secret[1..];
        string[] wrong =
        [
            id + "." + flipped,                       // its id, a wrong secret
            id + "." + other.Token[(otherId.Length + 1)..], // its id, another session's secret
            id + ".",                                 // no secret
            id + "." + secret[..^2],                  // a short secret
            TestNames.Connection() + "." + secret,    // a session nobody opened
            v1 + "." + secret,                        // a v1 connection has no token
            "no-dot-at-all",
            "",
        ];
        foreach (var token in wrong)
        {
            Assert.Equal(ResumeOutcome.UnknownToken, (await Grains.ResumeSessionAsync(token, "alice", edge.Id, null)).Outcome);
        }

        // None of that spent the real token.
        Assert.Equal(ResumeOutcome.Resumed, (await Grains.ResumeSessionAsync(start.Token, "alice", edge.Id, null)).Outcome);
    }

    [Fact]
    public async Task ASuspendedSessionStaysInItsRoomsNobodyIsToldAndRoomFramesStayInTheLog()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var watcher = await OpenV1Async(watcherEdge, room);
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        Assert.True(await Grains.GetConnection(id).JoinAsync(room));
        var joined = await edgeA.WaitForConnectionEventAsync(id, room, EventNames.JoinAck);

        Assert.True(await Grains.GetConnection(id).SuspendAsync(start.Attachment));
        Assert.False(await Grains.GetConnection(id).SuspendAsync(start.Attachment)); // already suspended
        var position = await Grains.GetRoom(room).PublishTextWithPositionAsync("while-away", "hello");

        var marker = await watcherEdge.WaitForRoomEventAsync(room, "while-away");
        Assert.DoesNotContain(watcherEdge.Before(marker), d => d.Message.Event == EventNames.MemberLeft);
        Assert.Equal(new[] { watcher, id }.Order(StringComparer.Ordinal), (await Grains.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        var history = await Grains.GetRoom(room).GetHistorySinceAsync(joined.Position);
        Assert.True(history.Complete);
        Assert.Equal(position, Assert.Single(history.Frames).Position);
        Assert.NotNull(await Grains.GetConnection(id).GetInfoAsync());
    }

    [Fact]
    public async Task AResumeOnAnotherEdgeKeepsTheIdAndRoomsAndReplaysTheDirectLogThenRoutesThere()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room1 = TestNames.Room();
        var room2 = TestNames.Room();
        var watcher = await OpenV1Async(watcherEdge, room1);
        await Grains.GetConnection(watcher).JoinAsync(room2);
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        var session = Grains.GetConnection(id);
        await session.JoinAsync(room1);
        await session.JoinAsync(room2);
        await watcherEdge.WaitForAsync(d => d.Message.Room == room2 && d.Message.Event == EventNames.NewMember && d.Message.PayloadText == id);

        // A direct message to the live session carries its direct position.
        var live = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "bob", "live"));
        Assert.True(live > 0);
        Assert.Equal(live, (await edgeA.WaitForAsync(d => d.Connection == id && d.Message.Event == "dm")).Position);

        Assert.True(await session.SuspendAsync(start.Attachment));
        var missed = await Grains.GetRoom(room1).PublishTextWithPositionAsync("missed", "m");
        long[] away =
        [
            await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm-away", id, "bob", "one")),
            await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm-away", id, "bob", "two")),
        ];
        Assert.Equal([live + 1, live + 2], away);

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, live);
        Assert.Equal(ResumeOutcome.Resumed, resumed.Outcome);
        Assert.Equal(id, resumed.SessionId);
        Assert.Equal(edgeA.Id, resumed.PreviousEdgeId);
        Assert.False(resumed.PreviousSocketOpen);
        Assert.Equal(new[] { room1, room2 }.Order(StringComparer.Ordinal), resumed.Rooms!.Keys.Order(StringComparer.Ordinal));

        // The client named no room position: no room is replayed. The direct log reaches back to what it named: what
        // was sent while away reaches the new edge, in order, at its positions.
        Assert.All(resumed.Rooms.Values, Assert.False);
        Assert.True(resumed.Direct);
        await edgeB.WaitForAsync(d => d.Connection == id && d.Message.PayloadText == "two");
        var replayed = edgeB.Received.Where(d => d.Connection == id && d.Message.Event == "dm-away").ToArray();
        Assert.Equal(away, replayed.Select(d => d.Position));
        Assert.Equal(["one", "two"], replayed.Select(d => d.Message.PayloadText));
        Assert.All(replayed, d => Assert.Equal(MembershipChange.Replayed, d.Change));
        Assert.DoesNotContain(edgeA.Received, d => d.Message.Event == "dm-away");
        Assert.DoesNotContain(edgeB.Received, d => d.Change == MembershipChange.Replayed && d.Message.Room != EventNames.RootRoom);

        // The new edge learned of the move in each room, at the room's last position.
        foreach (var room in new[] { room1, room2 })
        {
            var moved = await edgeB.WaitForConnectionEventAsync(id, room, EventNames.JoinAck);
            Assert.Equal(MembershipChange.Moved, moved.Change);
            Assert.Equal(room == room1 ? missed : (await Grains.GetRoom(room).GetHistoryAsync(0)).LastPosition, moved.Position);
        }

        // Live now goes to the new edge: room frames and direct messages alike.
        var after = await Grains.GetRoom(room1).PublishTextWithPositionAsync("after", "a");
        Assert.Equal(after, (await edgeB.WaitForRoomEventAsync(room1, "after")).Position);
        Assert.Equal(missed + 1, after);
        var next = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm-next", id, "bob", "three"));
        Assert.Equal(live + 3, next);
        var nextDelivery = await edgeB.WaitForAsync(d => d.Connection == id && d.Message.Event == "dm-next");
        Assert.Equal((next, MembershipChange.None), (nextDelivery.Position, nextDelivery.Change));
        Assert.True(edgeB.IndexOf(nextDelivery) > edgeB.IndexOf(replayed[^1]));

        // The old edge gets none of it; the watcher heard of no leave and no join.
        var marker = await watcherEdge.WaitForRoomEventAsync(room1, "after");
        Assert.DoesNotContain(edgeA.Received, d => d.Message.Event is "after" or "dm-next");
        Assert.DoesNotContain(watcherEdge.Before(marker), d => d.Message.Event == EventNames.MemberLeft);
        Assert.Single(watcherEdge.Before(marker), d => d.Message.Event == EventNames.NewMember && d.Message.PayloadText == id && d.Message.Room == room1);

        var info = await session.GetInfoAsync();
        Assert.Equal(edgeB.Id, info!.EdgeId);
        Assert.Equal(new[] { room1, room2 }.Order(StringComparer.Ordinal), info.Rooms.Order(StringComparer.Ordinal));

        // Closing from the new socket ends it as v1 does.
        await session.CloseSessionAsync(resumed.Session!.Attachment);
        await watcherEdge.WaitForAsync(d => d.Message.Room == room2 && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == id);
        Assert.Null(await session.GetInfoAsync());
    }

    [Fact]
    public async Task ADirectLogThatNoLongerReachesBackSaysSo()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        var session = Grains.GetConnection(id);
        var first = await session.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", id, "", "x"));
        await session.SuspendAsync(start.Attachment);

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeA.Id, first - 5);
        Assert.False(resumed.Direct);
        Assert.DoesNotContain(edgeA.Received, d => d.Change == MembershipChange.Replayed);

        var beyond = await Grains.ResumeSessionAsync(resumed.Session!.Token, "alice", edgeA.Id, first + 5);
        Assert.False(beyond.Direct);

        var upToDate = await Grains.ResumeSessionAsync(beyond.Session!.Token, "alice", edgeA.Id, first);
        Assert.True(upToDate.Direct);
    }

    [Fact]
    public async Task AResumeWhileTheOldSocketIsOpenNamesItAndItsLateEndChangesNothing()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        await OpenV1Async(watcherEdge, room);
        var (id, start) = await OpenSessionAsync(edgeA, "alice");
        var session = Grains.GetConnection(id);
        await session.JoinAsync(room);

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, resumed.Outcome);
        Assert.True(resumed.PreviousSocketOpen);
        Assert.Equal(edgeA.Id, resumed.PreviousEdgeId);

        // The old socket's edge is told to close it; the new edge is not.
        var superseded = await edgeA.WaitForAsync(d => d.Change == MembershipChange.Superseded);
        Assert.Equal((id, EventNames.RootRoom), (superseded.Connection, superseded.Message.Room));
        Assert.DoesNotContain(edgeB.Received, d => d.Change == MembershipChange.Superseded);

        // The old socket ends afterwards (closed with 4001, or it drops): the session has moved on.
        Assert.False(await session.SuspendAsync(start.Attachment));
        await session.CloseSessionAsync(start.Attachment);
        await Grains.GetConnection(id).EdgeLostAsync(edgeA.Id);
        await Grains.GetRoom(room).PublishTextAsync("still-here", "");
        var marker = await watcherEdge.WaitForRoomEventAsync(room, "still-here");
        Assert.DoesNotContain(watcherEdge.Before(marker), d => d.Message.Event == EventNames.MemberLeft);
        Assert.Equal(edgeB.Id, (await session.GetInfoAsync())!.EdgeId);
        await edgeB.WaitForRoomEventAsync(room, "still-here");
    }

    [Fact]
    public async Task AV1ConnectionIsNoSessionAndClosesAsBefore()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        await OpenV1Async(watcherEdge, room);
        var v1 = await OpenV1Async(edge, room);
        var connection = Grains.GetConnection(v1);

        Assert.False(await connection.SuspendAsync(0));
        Assert.Equal(0, await connection.SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", v1, "", "x")));
        Assert.Equal(0, (await edge.WaitForAsync(d => d.Connection == v1 && d.Message.Event == "dm")).Position);
        Assert.Equal(-1, await Grains.GetConnection(TestNames.Connection()).SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm", "x", "", "x")));

        await connection.CloseSessionAsync(0);
        await watcherEdge.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == v1);
        Assert.Null(await connection.GetInfoAsync());
    }

    [Fact]
    public async Task TheReaperOfADeadEdgeSuspendsItsSessionsAndClosesItsV1Connections()
    {
        await using var dying = await fixture.NewEdgeAsync();
        await using var living = await fixture.NewEdgeAsync();
        Assert.Equal(EdgeLeaseStatus.Registered, await dying.RenewLeaseAsync("first", ShortLease));
        var room = TestNames.Room();
        var watcher = await OpenV1Async(living, room);
        var v1 = await OpenV1Async(dying, room);
        var (id, start) = await OpenSessionAsync(dying, "alice");
        await Grains.GetConnection(id).JoinAsync(room);

        // No more renewals: the edge "died". Its v1 connection leaves; its session stays, suspended.
        await living.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == v1, PollTimeout);
        EdgeLeaseStatus status = default;
        await Poll.UntilAsync(async () => (status = await dying.RenewLeaseAsync("second", TimeSpan.FromMinutes(5))) != EdgeLeaseStatus.Expiring, PollTimeout, "the expiry to finish");
        Assert.Equal(EdgeLeaseStatus.Registered, status);
        Assert.Equal(new[] { id, watcher }.Order(StringComparer.Ordinal), (await Grains.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        Assert.False(await Grains.GetConnection(id).SuspendAsync(start.Attachment)); // the reaper suspended it already
        var sent = await Grains.GetConnection(id).SendWithPositionAsync(Message.FromText(EventNames.RootRoom, "dm-away", id, "", "kept"));

        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", living.Id, sent - 1);
        Assert.Equal(ResumeOutcome.Resumed, resumed.Outcome);
        Assert.False(resumed.PreviousSocketOpen);
        Assert.True(resumed.Direct);
        Assert.Equal(MembershipChange.Replayed, (await living.WaitForAsync(d => d.Connection == id && d.Message.PayloadText == "kept")).Change);
        Assert.DoesNotContain(dying.Received, d => d.Change == MembershipChange.Superseded);
        Assert.DoesNotContain(living.Received, d => d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == id);
        Assert.Equal(living.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);
        await Grains.GetConnection(id).CloseAsync();
        await Grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).ReleaseAsync(dying.Id, "second");
    }

    private async Task<(string Id, SessionStart Start)> OpenSessionAsync(FakeEdge edge, string identity)
    {
        var id = TestNames.Connection();
        var start = await Grains.GetConnection(id).OpenSessionAsync(edge.Id, new Dictionary<string, string> { ["sub"] = identity }, identity);
        return (id, start);
    }

    private async Task<string> OpenV1Async(FakeEdge edge, string room)
    {
        var id = TestNames.Connection();
        await Grains.GetConnection(id).OpenAsync(edge.Id, new Dictionary<string, string>());
        await Grains.GetConnection(id).JoinAsync(room);
        await edge.WaitForConnectionEventAsync(id, room, EventNames.JoinAck);
        return id;
    }
}

[Collection(ClusterCollection.Name)]
public sealed class MemorySessionTests(ClusterFixture fixture) : SessionTests(fixture);

[Collection(AzuriteClusterCollection.Name)]
public sealed class AzureTableSessionTests(AzuriteClusterFixture fixture) : SessionTests(fixture);
