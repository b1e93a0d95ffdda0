using System.Text;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;
using static WsRooms.Grains.Tests.V2Sessions;

namespace WsRooms.Grains.Tests;

/// <summary>
/// Acknowledged publish in the grains: an acked broadcast's ack reaches the sender's edge through the stream with the
/// frame's position, a repeated mid is acknowledged again and not delivered twice (across rooms and resumes), direct
/// messages get the recipient's direct position, and two sessions messaging each other at once do not deadlock.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AckedPublishTests(ClusterFixture fixture)
{
    private static readonly TimeSpan NoDeadlockTimeout = TimeSpan.FromSeconds(30);

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task AnAckedBroadcastIsFannedOutAndItsAckFollowsToTheSenderWithItsPosition()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var watcher = await watcherEdge.OpenConnectionAsync();
        await Grains.JoinAndWaitAsync(watcherEdge, watcher, room);
        var (id, _) = await Grains.OpenSessionAsync(edge);
        await Grains.JoinAndWaitAsync(edge, id, room);

        var outcome = await Grains.GetConnection(id).PublishAsync(room, "chat", Encoding.UTF8.GetBytes("hi"), Mid("m-1"));
        Assert.Null(outcome.Error);
        Assert.False(outcome.Repeated);

        var ack = await edge.WaitForAckAsync(id, "m-1");
        Assert.Equal(room, ack.Message.Room);
        Assert.Equal(outcome.Position, SeqOf(ack));
        Assert.Equal(outcome.Position, (await watcherEdge.WaitForRoomEventAsync(room, "chat")).Position);

        // Without a mid, straight to the room (as the edge sends a v2 broadcast that carries none): an ack without one.
        var plain = await Grains.GetRoom(room).BroadcastAckedAsync(id, "chat-plain", [], []);
        var plainAck = await edge.WaitForAsync(d => d.Connection == id && d.Message.Event == EventNames.Ack && MidOf(d) is null);
        Assert.Equal(plain.Position, SeqOf(plainAck));
        Assert.Equal(outcome.Position + 1, plain.Position);
    }

    [Fact]
    public async Task ABroadcastOfANonMemberIsRefusedAndTheRefusalIsNotRemembered()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var (id, _) = await Grains.OpenSessionAsync(edge);
        var session = Grains.GetConnection(id);

        var refused = await session.PublishAsync(room, "chat", [], Mid("m-early"));
        Assert.Equal(ErrorFrames.NotMember, refused.Error);

        await Grains.JoinAndWaitAsync(edge, id, room);
        var accepted = await session.PublishAsync(room, "chat", [], Mid("m-early"));
        Assert.Null(accepted.Error);
        Assert.False(accepted.Repeated);
        Assert.Equal(accepted.Position, SeqOf(await edge.WaitForAckAsync(id, "m-early")));
        Assert.Single(edge.AcksOf(id, "m-early")); // the refusal posted none: the edge answers refusals itself
    }

    [Fact]
    public async Task AMidRepeatedAcrossAResumeIsNotDeliveredTwiceAndIsAckedAgainWithTheSameSeq()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var other = TestNames.Room();
        var watcher = await watcherEdge.OpenConnectionAsync();
        await Grains.JoinAndWaitAsync(watcherEdge, watcher, room);
        var (id, start) = await Grains.OpenSessionAsync(edgeA);
        var session = Grains.GetConnection(id);
        await Grains.JoinAndWaitAsync(edgeA, id, room);
        await Grains.JoinAndWaitAsync(edgeA, id, other);

        var first = await session.PublishAsync(room, "once", Encoding.UTF8.GetBytes("1"), Mid("m-1"));
        Assert.Equal(first.Position, SeqOf(await edgeA.WaitForAckAsync(id, "m-1")));

        // The socket drops before the client saw the ack; it resumes on another edge and sends the frame again.
        Assert.True(await session.SuspendAsync(start.Attachment));
        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, resumed.Outcome);
        var again = await session.PublishAsync(room, "once", Encoding.UTF8.GetBytes("1"), Mid("m-1"));
        Assert.Equal(PublishOutcome.Accepted(first.Position, repeated: true), again);
        Assert.Equal(first.Position, SeqOf(await edgeB.WaitForAckAsync(id, "m-1")));

        // The mid is the session's, not the room's: in another room it is the same frame.
        var elsewhere = await session.PublishAsync(other, "once", [], Mid("m-1"));
        Assert.Equal(PublishOutcome.Accepted(first.Position, repeated: true), elsewhere);

        var marker = await watcherEdge.PublishMarkerAsync(room);
        Assert.Single(watcherEdge.Before(marker), d => d.Message.Event == "once");
        await Poll.UntilAsync(() => Task.FromResult(edgeB.AcksOf(id, "m-1").Count == 2), FakeEdge.DefaultTimeout, "the repeated mid's second ack");
        Assert.All(edgeB.AcksOf(id, "m-1"), a => Assert.Equal(room, a.Message.Room));
        Assert.Equal(first.Position + 1, marker.Position);
    }

    [Fact]
    public async Task ADirectMessageIsAckedWithTheRecipientsDirectPositionAndARepeatIsNotDeliveredTwice()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var (alice, _) = await Grains.OpenSessionAsync(edgeA, "alice");
        var (bob, _) = await Grains.OpenSessionAsync(edgeB, "bob");
        var v1 = await edgeB.OpenConnectionAsync();

        var dm = Message.FromText(EventNames.RootRoom, "dm", bob, alice, "hello");
        var sent = await Grains.GetConnection(alice).SendDirectAsync(dm, Mid("d-1"));
        Assert.Null(sent.Error);
        Assert.True(sent.Position > 0);
        Assert.Equal(sent.Position, (await edgeB.WaitForAsync(d => d.Connection == bob && d.Message.Event == "dm")).Position);
        var ack = await edgeA.WaitForAckAsync(alice, "d-1");
        Assert.Equal(EventNames.RootRoom, ack.Message.Room);
        Assert.Equal(sent.Position, SeqOf(ack));

        Assert.Equal(PublishOutcome.Accepted(sent.Position, repeated: true), await Grains.GetConnection(alice).SendDirectAsync(dm, Mid("d-1")));
        var next = await Grains.GetConnection(alice).SendDirectAsync(Message.FromText(EventNames.RootRoom, "dm-next", bob, alice, ""), Mid("d-next"));
        Assert.Equal(sent.Position + 1, next.Position);
        var marker = await edgeB.WaitForAsync(d => d.Connection == bob && d.Message.Event == "dm-next");
        Assert.Single(edgeB.Before(marker), d => d.Message.Event == "dm");

        // Acks of one session come from its grain in order: the next one's arrival means the repeat's has arrived.
        var nextAck = await edgeA.WaitForAckAsync(alice, "d-next");
        Assert.Equal(2, edgeA.Before(nextAck).Count(d => d.Message.Event == EventNames.Ack && MidOf(d) == "d-1"));

        // A v1 recipient has no direct log: position 0. An unknown one is refused, and the refusal is not remembered.
        Assert.Equal(PublishOutcome.Accepted(0), await Grains.GetConnection(alice).SendDirectAsync(Message.FromText(EventNames.RootRoom, "dm", v1, alice, ""), Mid("d-v1")));
        var unknown = Message.FromText(EventNames.RootRoom, "dm", TestNames.Connection(), alice, "");
        Assert.Equal(PublishOutcome.Refused(ErrorFrames.UnknownDst), await Grains.GetConnection(alice).SendDirectAsync(unknown, Mid("d-2")));
        Assert.Equal(PublishOutcome.Refused(ErrorFrames.UnknownDst), await Grains.GetConnection(alice).SendDirectAsync(unknown, Mid("d-2")));
        Assert.Empty(edgeA.AcksOf(alice, "d-2"));
    }

    [Fact]
    public async Task TwoSessionsSendingEachOtherDirectMessagesAtTheSameTimeDoNotDeadlock()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var (alice, _) = await Grains.OpenSessionAsync(edge, "alice");
        var (bob, _) = await Grains.OpenSessionAsync(edge, "bob");
        const int each = 20;

        var sends = Enumerable.Range(0, each).SelectMany(i => new[]
        {
            Grains.GetConnection(alice).SendDirectAsync(Message.FromText(EventNames.RootRoom, "to-bob", bob, alice, $"{i}"), Mid($"a-{i}")),
            Grains.GetConnection(bob).SendDirectAsync(Message.FromText(EventNames.RootRoom, "to-alice", alice, bob, $"{i}"), Mid($"b-{i}")),
        });
        var outcomes = await Task.WhenAll(sends).WaitAsync(NoDeadlockTimeout);

        Assert.All(outcomes, o => Assert.Null(o.Error));
        foreach (var (recipient, @event) in new[] { (bob, "to-bob"), (alice, "to-alice") })
        {
            await Poll.UntilAsync(() => Task.FromResult(edge.Received.Count(d => d.Connection == recipient && d.Message.Event == @event) == each), FakeEdge.DefaultTimeout, $"{each} messages to {recipient}");
            var positions = edge.Received.Where(d => d.Connection == recipient && d.Message.Event == @event).Select(d => d.Position).ToArray();
            Assert.Equal(Enumerable.Range(0, each).Select(i => positions[0] + i), positions);
        }
    }
}
