using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>Direct messages to a suspended session (docs/protocol.md): kept in its direct log, replayed on resume.</summary>
[Collection(V2ClusterCollection.Name)]
public sealed class DirectWhileSuspendedTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task DirectMessagesSentWhileASessionIsSuspendedArriveOnceInOrderOnResumeBeforeLiveOnes()
    {
        await using var sender = await fixture.EdgeB.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await sender.PublishAsync(EventNames.RootRoom, "dm", "seen", "d-seen", dst: client.Id);
        var seen = await client.WaitForFrameAsync(f => f.Event == "dm");
        Assert.Equal((client.Id, sender.Id), (seen.Message.Dst, seen.Message.Src));
        Assert.Equal(seen.Position, (await sender.WaitForAckAsync("d-seen")).Json.GetProperty("seq").GetInt64());

        client.Abort();
        var acked = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await sender.PublishAsync(EventNames.RootRoom, "dm", $"missed{i}", $"d{i}", dst: client.Id);
            acked.Add((await sender.WaitForAckAsync($"d{i}")).Json.GetProperty("seq").GetInt64());
        }

        Assert.Equal(Enumerable.Range(1, 3).Select(i => seen.Position!.Value + i), acked);
        await using var resumed = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload());
        Assert.True(resumed.Resumed!.Resumed);
        Assert.True(resumed.Resumed.Direct);

        await sender.SendAsync(EventNames.RootRoom, "dm", "live", dst: client.Id);
        var frames = new List<ReceivedFrame>();
        while (frames.Count == 0 || frames[^1].PayloadText != "live")
        {
            var frame = await resumed.NextFrameAsync();
            if (frame.Event == "dm")
            {
                frames.Add(frame);
            }
        }

        Assert.Equal(["missed0", "missed1", "missed2", "live"], frames.Select(f => f.PayloadText));
        Assert.Equal(acked.Append(acked[^1] + 1), frames.Select(f => f.Position!.Value));
    }

    [Fact]
    public async Task AResumeThatNamesNoDirectPositionIsAnsweredDirectFalse()
    {
        await using var sender = await fixture.EdgeB.ConnectV2Async();
        await using var client = await fixture.EdgeA.ConnectV2Async();
        client.Abort();
        await sender.PublishAsync(EventNames.RootRoom, "dm", "missed", "d", dst: client.Id);
        await sender.WaitForAckAsync("d");

        await using var resumed = await fixture.EdgeB.ResumeAsync(client.CreateResumePayload() with { Direct = null });
        Assert.True(resumed.Resumed!.Resumed);
        Assert.False(resumed.Resumed.Direct);
        await sender.SendAsync(EventNames.RootRoom, "dm", "live", dst: client.Id);
        Assert.Equal("live", (await resumed.WaitForFrameAsync(f => f.Event == "dm")).PayloadText);
    }
}
