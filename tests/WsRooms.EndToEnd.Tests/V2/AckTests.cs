using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// Acknowledged publish (docs/protocol.md): an ack with the position for every v2 publish, and a mid repeated within
/// the session, across a resume too, is acked again and not delivered again.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class AckTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task AMidRepeatedAfterAResumeOnTheOtherEdgeGetsTheSameAckAndIsDeliveredOnce()
    {
        var room = TestNames.Room("v2-dedup");
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(room);
        await client.JoinForAckAsync(room);

        await client.PublishAsync(room, "chat", "acked", "m-acked");
        var ack = await client.WaitForAckAsync("m-acked");
        Assert.Equal((room, "", ""), (ack.Room, ack.Message.Dst, ack.Message.Src));
        var seq = ack.Json.GetProperty("seq").GetInt64();
        Assert.Equal(seq, (await peer.WaitForFrameAsync(f => f.PayloadText == "acked")).Position);

        // Sent, then the socket drops before the client can know whether it landed: it resends it after the resume.
        await client.PublishAsync(room, "chat", "unknown", "m-unknown");
        client.Abort();
        await using var resumed = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload());
        Assert.True(resumed.Resumed!.Resumed);

        await resumed.PublishAsync(room, "chat", "acked", "m-acked");
        await resumed.PublishAsync(room, "chat", "unknown", "m-unknown");
        await resumed.PublishAsync(room, "chat", "marker", "m-marker");
        var again = await resumed.WaitForAckAsync("m-acked");
        Assert.Equal(seq, again.Json.GetProperty("seq").GetInt64());
        var unknownSeq = (await resumed.WaitForAckAsync("m-unknown")).Json.GetProperty("seq").GetInt64();
        await resumed.WaitForAckAsync("m-marker");

        var seen = await peer.CollectFramesUntilAsync(f => f.PayloadText == "marker");
        Assert.Equal(["unknown"], seen.Where(f => f.Event == "chat").Select(f => f.PayloadText));
        Assert.Equal(unknownSeq, seen.Single(f => f.Event == "chat").Position);
    }

    [Fact]
    public async Task AMidIsScopedToTheSessionAcrossRoomsAndARefusalIsNotRemembered()
    {
        var (first, second) = (TestNames.Room("v2-mid1"), TestNames.Room("v2-mid2"));
        await using var peer = await fixture.EdgeB.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await peer.JoinForAckAsync(first);
        await peer.JoinForAckAsync(second);
        await client.JoinForAckAsync(first);

        // Not a member of the second room yet: refused, and the refusal is not remembered.
        await client.PublishAsync(second, "chat", "early", "m-late");
        var refused = await client.WaitForAckAsync("m-late");
        Assert.Equal("not_member", refused.Json.GetProperty("error").GetString());
        await client.JoinForAckAsync(second);
        await client.PublishAsync(second, "chat", "late", "m-late");
        Assert.True((await client.WaitForAckAsync("m-late")).Json.TryGetProperty("seq", out _));
        Assert.Equal("late", (await peer.WaitForFrameAsync(f => f.Room == second && f.Event == "chat")).PayloadText);

        // The same mid in another room is the same frame to the session: acked again, not delivered.
        await client.PublishAsync(first, "chat", "other room", "m-late");
        await client.PublishAsync(first, "chat", "marker", "m-marker");
        await client.WaitForAckAsync("m-marker");
        var seen = await peer.CollectFramesUntilAsync(f => f.PayloadText == "marker");
        Assert.DoesNotContain(seen, f => f.PayloadText == "other room");
    }
}
