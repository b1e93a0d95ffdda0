using System.Text;
using System.Text.Json;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>Room membership and fan-out, observed the way an edge host sees it: as deliveries on its stream.</summary>
/// <remarks>Run twice: on memory providers (<see cref="MemoryRoomGrainTests"/>) and on Azure Table storage in Azurite (<see cref="AzureTableRoomGrainTests"/>).</remarks>
public abstract class RoomGrainTests(GrainsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task JoinAckListsEveryMemberIncludingTheJoinerAndComesBeforeNewMember()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var first = await edge.OpenConnectionAsync();
        var second = await edge.OpenConnectionAsync();

        Assert.True(await Grains.GetConnection(first).JoinAsync(room));
        Assert.True(await Grains.GetConnection(second).JoinAsync(room));

        var ack = await edge.WaitForConnectionEventAsync(second, room, EventNames.JoinAck);
        Assert.Equal(MembershipChange.Joined, ack.Change);
        Assert.Equal(second, ack.Message.Src);
        Assert.Equal("", ack.Message.Dst);
        var members = JsonSerializer.Deserialize<string[]>(ack.Message.Payload);
        Assert.Equal(Sorted(first, second), Sorted(members!));

        // The same edge holds the first member, so it also gets new_member for the second, after the join_ack.
        var newMember = await edge.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.NewMember && d.Message.PayloadText == second);
        Assert.True(edge.IndexOf(ack) < edge.IndexOf(newMember), "join_ack must precede new_member on the joiner's edge");
        Assert.Null(newMember.Connection);
        Assert.Equal(second, newMember.ExceptConnection);
        Assert.Equal("", newMember.Message.Src);
    }

    [Fact]
    public async Task NewMemberGoesToEdgesWithOtherMembersButNotToAJoinerAloneOnItsEdge()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var onB = await edgeB.OpenConnectionAsync();
        var joiner = await edgeA.OpenConnectionAsync();

        await Grains.GetConnection(onB).JoinAsync(room);
        await Grains.GetConnection(joiner).JoinAsync(room);

        var told = await edgeB.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.NewMember && d.Message.PayloadText == joiner);
        Assert.Null(told.Connection);
        Assert.Equal(joiner, told.ExceptConnection);

        // Edge A holds only the joiner: after its join_ack nothing about the join is sent there.
        var marker = await edgeA.PublishMarkerAsync(room);
        Assert.DoesNotContain(edgeA.Before(marker), d => d.Message.Event == EventNames.NewMember);
        Assert.Single(edgeA.Before(marker), d => d.Message.Event == EventNames.JoinAck);
    }

    [Fact]
    public async Task JoiningAgainOnlyRepeatsTheJoinAck()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var other = await edgeB.OpenConnectionAsync();
        var joiner = await edgeA.OpenConnectionAsync();
        await Grains.GetConnection(other).JoinAsync(room);
        await Grains.GetConnection(joiner).JoinAsync(room);

        Assert.False(await Grains.GetRoom(room).AddMemberAsync(joiner, edgeA.Id));
        Assert.True(await Grains.GetConnection(joiner).JoinAsync(room));

        var markerA = await edgeA.PublishMarkerAsync(room);
        var markerB = await edgeB.WaitForAsync(d => d.Message.Event == markerA.Message.Event);
        var acks = edgeA.Before(markerA).Where(d => d.Message.Event == EventNames.JoinAck).ToArray();
        Assert.Equal(3, acks.Length);
        Assert.All(acks, a => Assert.Equal(JsonSerializer.Deserialize<string[]>(acks[0].Message.Payload), JsonSerializer.Deserialize<string[]>(a.Message.Payload)));
        Assert.Single(edgeB.Before(markerB), d => d.Message.Event == EventNames.NewMember);
        Assert.Equal(2, (await Grains.GetRoom(room).GetMembersAsync()).Count);
    }

    [Fact]
    public async Task LeavingSendsLeaveAckToTheLeaverAndMemberLeftToTheOthers()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var leaver = await edgeA.OpenConnectionAsync();
        var stayerA = await edgeA.OpenConnectionAsync();
        var stayerB = await edgeB.OpenConnectionAsync();
        foreach (var id in new[] { leaver, stayerA, stayerB })
        {
            await Grains.GetConnection(id).JoinAsync(room);
        }

        Assert.True(await Grains.GetConnection(leaver).LeaveAsync(room));

        var ack = await edgeA.WaitForConnectionEventAsync(leaver, room, EventNames.LeaveAck);
        Assert.Equal(MembershipChange.Left, ack.Change);
        Assert.Equal(leaver, ack.Message.Src);
        Assert.Equal(leaver, ack.Message.PayloadText);

        var leftOnA = await edgeA.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft);
        var leftOnB = await edgeB.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft);
        Assert.True(edgeA.IndexOf(ack) < edgeA.IndexOf(leftOnA), "leave_ack must precede member_left on the leaver's edge");
        foreach (var left in new[] { leftOnA, leftOnB })
        {
            Assert.Null(left.Connection);
            Assert.Equal(leaver, left.Message.PayloadText);
            Assert.Equal("", left.Message.Src);
            Assert.Equal(leaver, left.ExceptConnection);
        }

        Assert.Equal(Sorted(stayerA, stayerB), Sorted([.. await Grains.GetRoom(room).GetMembersAsync()]));
    }

    [Fact]
    public async Task LeavingARoomOneIsNotInOnlyAnswersLeaveAck()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var member = await edgeB.OpenConnectionAsync();
        var outsider = await edgeA.OpenConnectionAsync();
        await Grains.GetConnection(member).JoinAsync(room);

        Assert.True(await Grains.GetConnection(outsider).LeaveAsync(room));

        var ack = await edgeA.WaitForConnectionEventAsync(outsider, room, EventNames.LeaveAck);
        Assert.Equal(MembershipChange.Left, ack.Change);
        var marker = await edgeB.PublishMarkerAsync(room);
        Assert.DoesNotContain(edgeB.Before(marker), d => d.Message.Event == EventNames.MemberLeft);
        Assert.Equal([member], await Grains.GetRoom(room).GetMembersAsync());
    }

    [Fact]
    public async Task BroadcastReachesEachEdgeWithMembersOnceAndSkipsTheSender()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var edgeC = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var sender = await edgeA.OpenConnectionAsync();
        string[] members = [sender, await edgeA.OpenConnectionAsync(), await edgeA.OpenConnectionAsync(), await edgeB.OpenConnectionAsync(), await edgeB.OpenConnectionAsync()];
        foreach (var id in members)
        {
            await Grains.GetConnection(id).JoinAsync(room);
        }

        var @event = TestNames.Event();
        Assert.True(await Grains.GetRoom(room).BroadcastFromMemberAsync(sender, @event, Encoding.UTF8.GetBytes("hi")));

        foreach (var edge in new[] { edgeA, edgeB })
        {
            var delivery = await edge.WaitForRoomEventAsync(room, @event);
            Assert.Equal(new Message(room, @event, "", sender, delivery.Message.Payload), delivery.Message);
            Assert.Equal("hi", delivery.Message.PayloadText);
            Assert.Equal(sender, delivery.ExceptConnection);

            var marker = await edge.PublishMarkerAsync(room);
            Assert.Single(edge.Before(marker), d => d.Message.Event == @event);
        }

        // An edge without members of the room hears nothing of it.
        var elsewhere = TestNames.Room();
        await Grains.GetConnection(await edgeC.OpenConnectionAsync()).JoinAsync(elsewhere);
        var markerC = await edgeC.PublishMarkerAsync(elsewhere);
        Assert.DoesNotContain(edgeC.Before(markerC), d => d.Message.Room == room);
    }

    [Fact]
    public async Task BroadcastFromANonMemberIsDropped()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var member = await edge.OpenConnectionAsync();
        await Grains.GetConnection(member).JoinAsync(room);

        var @event = TestNames.Event();
        Assert.False(await Grains.GetRoom(room).BroadcastFromMemberAsync(TestNames.Connection(), @event, [1, 2, 3]));

        var marker = await edge.PublishMarkerAsync(room);
        Assert.DoesNotContain(edge.Before(marker), d => d.Message.Event == @event);
    }

    [Fact]
    public async Task PublishReachesEveryMemberEdgeFromTheServerOrOnBehalfOfAConnection()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var onA = await edgeA.OpenConnectionAsync();
        var onB = await edgeB.OpenConnectionAsync();
        await Grains.GetConnection(onA).JoinAsync(room);
        await Grains.GetConnection(onB).JoinAsync(room);

        var fromServer = TestNames.Event();
        await Grains.GetRoom(room).PublishTextAsync(fromServer, "news");
        foreach (var edge in new[] { edgeA, edgeB })
        {
            var delivery = await edge.WaitForRoomEventAsync(room, fromServer);
            Assert.Equal("", delivery.Message.Src);
            Assert.Null(delivery.ExceptConnection);
            Assert.Equal("news", delivery.Message.PayloadText);
        }

        var onBehalf = TestNames.Event();
        await Grains.GetRoom(room).PublishTextAsync(onBehalf, "relayed", src: onA);
        var relayed = await edgeB.WaitForRoomEventAsync(room, onBehalf);
        Assert.Equal(onA, relayed.Message.Src);
        Assert.Equal(onA, relayed.ExceptConnection);

        // Edge A holds only the src, who does not get its own message: nothing is sent there at all.
        var marker = await edgeA.PublishMarkerAsync(room);
        Assert.DoesNotContain(edgeA.Before(marker), d => d.Message.Event == onBehalf);

        // No membership check: a publish to a room nobody is in is accepted and goes nowhere.
        await Grains.GetRoom(TestNames.Room()).PublishTextAsync(TestNames.Event(), "void");
    }

    [Fact]
    public async Task AnEmptiedRoomDeactivatesAndARoomWithMembersStays()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var emptied = TestNames.Room();
        var kept = TestNames.Room();
        var leaver = await edge.OpenConnectionAsync();
        var stayer = await edge.OpenConnectionAsync();
        await Grains.GetConnection(leaver).JoinAsync(emptied);
        await Grains.GetConnection(leaver).JoinAsync(kept);
        await Grains.GetConnection(stayer).JoinAsync(kept);

        var emptiedId = Grains.GetRoom(emptied).GetGrainId();
        var keptId = Grains.GetRoom(kept).GetGrainId();
        Assert.True(fixture.Cluster.TryGetGrainContext(emptiedId, out _), "the room should be active before it empties");
        var deactivated = fixture.Cluster.WaitForDeactivationAsync(emptiedId);

        await Grains.GetConnection(leaver).LeaveAsync(emptied);
        await Grains.GetConnection(leaver).LeaveAsync(kept);

        await deactivated.WaitAsync(FakeEdge.DefaultTimeout);
        Assert.False(fixture.Cluster.TryGetGrainContext(emptiedId, out _));

        // The leave_ack on the kept room was posted at the end of the leaver's last call, so by then the room
        // would have asked to be deactivated if it (wrongly) thought itself empty.
        await edge.WaitForConnectionEventAsync(leaver, kept, EventNames.LeaveAck);
        await edge.PublishMarkerAsync(kept);
        Assert.True(fixture.Cluster.TryGetGrainContext(keptId, out _), "a room with members must stay active");
        Assert.Equal([stayer], await Grains.GetRoom(kept).GetMembersAsync());
        Assert.Empty(await Grains.GetRoom(emptied).GetMembersAsync());
    }

    [Fact]
    public async Task RootBroadcastReachesEveryAttachedEdgeAndNothingElse()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var unattached = await fixture.NewEdgeAsync();
        var root = Grains.GetRoom(EventNames.RootRoom);
        await root.AttachEdgeAsync(edgeA.Id);
        await root.AttachEdgeAsync(edgeB.Id);
        try
        {
            // Root without presence: nobody joined, yet any connection of an attached edge may broadcast.
            Assert.Empty(await root.GetMembersAsync());
            var sender = TestNames.Connection();
            var @event = TestNames.Event();
            Assert.True(await root.BroadcastFromMemberAsync(sender, @event, Encoding.UTF8.GetBytes("all")));

            foreach (var edge in new[] { edgeA, edgeB })
            {
                var delivery = await edge.WaitForRoomEventAsync(EventNames.RootRoom, @event);
                Assert.Equal(sender, delivery.Message.Src);
                Assert.Equal(sender, delivery.ExceptConnection);
                Assert.Null(delivery.Connection);
                var marker = await edge.PublishMarkerAsync(EventNames.RootRoom);
                Assert.Single(edge.Before(marker), d => d.Message.Event == @event);

                // Nothing else: no per-connection deliveries, only room fan-outs (the broadcast and earlier markers).
                Assert.All(edge.Before(marker), d =>
                {
                    Assert.Null(d.Connection);
                    Assert.True(d.Message.Event == @event || d.Message.Event.StartsWith("marker-", StringComparison.Ordinal), d.Message.Event);
                });
            }

            // The unattached edge hears nothing: it only gets the marker of a room it has a member in.
            var elsewhere = TestNames.Room();
            await Grains.GetConnection(await unattached.OpenConnectionAsync()).JoinAsync(elsewhere);
            var markerU = await unattached.PublishMarkerAsync(elsewhere);
            Assert.DoesNotContain(unattached.Before(markerU), d => d.Message.Room == EventNames.RootRoom);
        }
        finally
        {
            await root.DetachEdgeAsync(edgeA.Id);
            await root.DetachEdgeAsync(edgeB.Id);
        }

        // Detached from every edge, root has nobody again: a broadcast from a non-member is dropped.
        Assert.False(await root.BroadcastFromMemberAsync(TestNames.Connection(), TestNames.Event(), []));
    }

    [Fact]
    public async Task ARoomOfHundredsOfMembersCostsOneDeliveryPerEdgePerBroadcast()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        const int perEdge = 200;
        var members = new List<string>();
        for (var i = 0; i < perEdge; i++)
        {
            members.Add(await edgeA.OpenConnectionAsync());
            members.Add(await edgeB.OpenConnectionAsync());
        }

        await Task.WhenAll(members.Select(id => Grains.GetConnection(id).JoinAsync(room)));
        Assert.Equal(2 * perEdge, (await Grains.GetRoom(room).GetMembersAsync()).Count);

        var @event = TestNames.Event();
        var sender = members[0];
        Assert.True(await Grains.GetRoom(room).BroadcastFromMemberAsync(sender, @event, Encoding.UTF8.GetBytes("to all")));

        foreach (var edge in new[] { edgeA, edgeB })
        {
            await edge.WaitForRoomEventAsync(room, @event);
            var marker = await edge.PublishMarkerAsync(room);
            Assert.Single(edge.Before(marker), d => d.Message.Event == @event);
        }

        // The last joiner's join_ack lists all of them.
        var lastAcks = edgeA.Received.Concat(edgeB.Received).Where(d => d.Message.Event == EventNames.JoinAck)
            .Select(d => JsonSerializer.Deserialize<string[]>(d.Message.Payload)!.Length).Max();
        Assert.Equal(2 * perEdge, lastAcks);
    }

    private static string[] Sorted(params string[] ids) => [.. ids.Order(StringComparer.Ordinal)];
}

[Collection(ClusterCollection.Name)]
public sealed class MemoryRoomGrainTests(ClusterFixture fixture) : RoomGrainTests(fixture);

[Collection(AzuriteClusterCollection.Name)]
public sealed class AzureTableRoomGrainTests(AzuriteClusterFixture fixture) : RoomGrainTests(fixture);
