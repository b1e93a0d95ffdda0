using System.Diagnostics;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// The resume socket's rules (docs/protocol.md, "Resume"): its first frame is a resume within 10 s or it is closed
/// with 1008; an older socket of the session that is still open is closed with 4001.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class ResumeSocketTests(V2ClusterFixture fixture)
{
    private static readonly TimeSpan FirstFrameWindow = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AResumeSocketThatSendsNothingForTenSecondsIsClosedWith1008AndWasSentNothing()
    {
        var watch = Stopwatch.StartNew();
        await using var client = await TestClient.OpenV2Async(fixture.EdgeB.WebSocketUri, resume: true);

        var status = await client.WaitForCloseAsync(FirstFrameWindow + TimeSpan.FromSeconds(20));

        Assert.Equal(CloseCodes.PolicyViolation, status);
        Assert.True(watch.Elapsed >= FirstFrameWindow - TimeSpan.FromSeconds(1), $"closed after {watch.Elapsed}");
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.NextFrameAsync(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(EventNames.Join)]
    [InlineData("chat")]
    public async Task AResumeSocketWhoseFirstFrameIsNotAResumeIsClosedWith1008(string @event)
    {
        await using var client = await TestClient.OpenV2Async(fixture.EdgeA.WebSocketUri, resume: true);
        await client.SendAsync(Message.FromText(@event == EventNames.Join ? TestNames.Room("v2-first") : EventNames.RootRoom, @event, "", "", ""));

        Assert.Equal(CloseCodes.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task AResumeWhileTheOldSocketIsStillOpenClosesItWith4001AndTheNewOneCarriesOn()
    {
        var room = TestNames.Room("v2-4001");
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var old = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await old.JoinForAckAsync(room);

        await using var resumed = await fixture.EdgeB.ResumeAsync(old.CreateResumePayload());

        Assert.True(resumed.Resumed!.Resumed);
        Assert.Equal(old.Id, resumed.Id);
        Assert.Equal(CloseCodes.SessionResumed, await old.WaitForCloseAsync());
        await peer.SendAsync(room, "chat", "to the new socket");
        Assert.Equal("to the new socket", (await resumed.WaitForFrameAsync(f => f.Room == room && f.Event == "chat")).PayloadText);
        await peer.SendAsync(room, "chat", "marker");
        await resumed.WaitForFrameAsync(f => f.PayloadText == "marker");
        Assert.Equal(
            new[] { old.Id, peer.Id }.Order(StringComparer.Ordinal),
            (await fixture.Cluster.Grains.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        var seen = await peer.CollectFramesUntilAsync(f => f.Event == EventNames.Ack);
        Assert.DoesNotContain(seen, f => f.Event == EventNames.MemberLeft);
    }
}
