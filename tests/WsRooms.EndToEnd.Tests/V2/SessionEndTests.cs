using System.Diagnostics;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// How a v2 session ends (docs/protocol.md, "Sessions"): an aborted socket's session ends when its grace period
/// lapses unresumed, a close the client starts ends it at once; either way as a v1 close does.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class SessionEndTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task ASessionNotResumedWithinItsGracePeriodEndsAndTheOtherMembersGetMemberLeft()
    {
        var room = TestNames.Room("v2-grace");
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var v1Peer = await fixture.EdgeA.ConnectAsync();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await v1Peer.JoinAsync(room);
        await client.JoinForAckAsync(room);

        var watch = Stopwatch.StartNew();
        client.Abort();
        var left = await peer.WaitForFrameAsync(room, EventNames.MemberLeft, V2ClusterFixture.GracePeriod + TimeSpan.FromSeconds(30));
        var after = watch.Elapsed;

        Assert.Equal(client.Id, left.PayloadText);
        Assert.True(after >= V2ClusterFixture.GracePeriod - TimeSpan.FromSeconds(1), $"member_left came {after} after the abort, within the grace period");
        Assert.Equal(client.Id, (await v1Peer.WaitForAsync(m => m.Room == room && m.Event == EventNames.MemberLeft)).PayloadText);
        Assert.Equal(
            new[] { peer.Id, v1Peer.Id }.Order(StringComparer.Ordinal),
            (await fixture.Cluster.Grains.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));

        // Its token is gone with it: a resume is a fresh session.
        await using var late = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload());
        Assert.False(late.Resumed!.Resumed);
        Assert.NotEqual(client.Id, late.Id);
    }

    [Fact]
    public async Task AClientCloseEndsTheSessionAtOnceAndItsTokenNoLongerResumes()
    {
        var room = TestNames.Room("v2-close");
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        var client = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await client.JoinForAckAsync(room);
        var resume = client.CreateResumePayload();

        var watch = Stopwatch.StartNew();
        await client.DisposeAsync(); // a closing handshake the client starts
        var left = await peer.WaitForFrameAsync(room, EventNames.MemberLeft);

        Assert.Equal(client.Id, left.PayloadText);
        Assert.True(watch.Elapsed < V2ClusterFixture.GracePeriod, $"member_left came {watch.Elapsed} after the close: the session was suspended");
        await using var late = await fixture.EdgeA.ResumeAsync(resume);
        Assert.False(late.Resumed!.Resumed);
        Assert.NotEqual(client.Id, late.Id);
    }
}
