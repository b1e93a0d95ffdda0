using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>v2 positions (docs/protocol.md): one order per room, positions +1, over two edge hosts and two silos.</summary>
[Collection(V2ClusterCollection.Name)]
public sealed class PositionTests(V2ClusterFixture fixture)
{
    private const int FramesPerPublisher = 25;

    [Fact]
    public async Task ConcurrentPublishersOnBothEdgesGiveEveryMemberOneOrderAtConsecutivePositions()
    {
        var room = TestNames.Room("v2-order");
        await using var watcherA = await fixture.EdgeA.ConnectV2Async();
        await using var watcherB = await fixture.EdgeB.ConnectV2Async();
        var joinA = await watcherA.JoinForAckAsync(room);
        var joinB = await watcherB.JoinForAckAsync(room);
        var publishers = new List<TestClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var publisher = await (i % 2 == 0 ? fixture.EdgeA : fixture.EdgeB).ConnectV2Async();
                publishers.Add(publisher);
                await publisher.JoinForAckAsync(room);
            }

            // Every publisher at once, each frame with a mid, so each publisher learns its frames' positions from the
            // acks (in order, as the room logged them). What a publisher receives meanwhile is kept as well.
            var received = await Task.WhenAll(publishers.Select(async (publisher, p) =>
            {
                for (var n = 0; n < FramesPerPublisher; n++)
                {
                    await publisher.PublishAsync(room, "tick", $"{p}:{n}", mid: $"{p}:{n}");
                }

                var last = $"{p}:{FramesPerPublisher - 1}";
                var frames = await publisher.CollectFramesUntilAsync(f => TestClient.IsAckOf(f, last));
                var ackPositions = frames.Where(f => f.Event == EventNames.Ack).ToDictionary(f => f.Json.GetProperty("mid").GetString()!, f => f.Json.GetProperty("seq").GetInt64());
                return (Frames: frames, Acks: ackPositions);
            }));

            var total = publishers.Count * FramesPerPublisher;
            var seenA = await RoomFramesAsync(watcherA, room, total);
            var seenB = await RoomFramesAsync(watcherB, room, total);

            // A's first room frame is the one after its join_ack; from there positions go up by exactly 1.
            Assert.Equal(joinA.Position + 1, seenA[0].Position);
            AssertConsecutive(seenA);
            AssertConsecutive(seenB);
            Assert.Equal(joinB.Position, seenA.Single(f => f.Event == EventNames.NewMember && f.PayloadText == watcherB.Id).Position);

            // One order: both watchers saw the same frame at each position they both saw.
            var fromB = seenB.ToDictionary(f => f.Position!.Value, f => (f.Event, f.PayloadText));
            foreach (var frame in seenA.Where(f => f.Position > joinB.Position))
            {
                Assert.Equal(fromB[frame.Position!.Value], (frame.Event, frame.PayloadText));
            }

            // Each ack names the position the members saw the frame at, and each sender's frames kept their order.
            var ticks = seenA.Where(f => f.Event == "tick").ToList();
            Assert.Equal(total, ticks.Count);
            for (var p = 0; p < publishers.Count; p++)
            {
                var acked = received[p].Acks;
                var own = ticks.Where(f => f.Message.Src == publishers[p].Id).ToList();
                Assert.Equal(Enumerable.Range(0, FramesPerPublisher).Select(n => $"{p}:{n}"), own.Select(f => f.PayloadText));
                Assert.Equal(FramesPerPublisher - 1, acked.Count); // the last ack is the marker, not in the list
                Assert.All(own.SkipLast(1), f => Assert.Equal(acked[f.PayloadText], f.Position));
            }

            // A member never receives its own broadcasts: by the time of its own last ack, a publisher had only others' ticks.
            for (var p = 0; p < publishers.Count; p++)
            {
                Assert.DoesNotContain(received[p].Frames, f => f.Event == "tick" && f.Message.Src == publishers[p].Id);
            }
        }
        finally
        {
            foreach (var publisher in publishers)
            {
                await publisher.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RootFramesAndAcksCarryNoPosition()
    {
        var room = TestNames.Room("v2-nopos");
        await using var client = await fixture.EdgeA.ConnectV2Async();
        Assert.Null((await client.JoinForAckAsync(EventNames.RootRoom)).Position);
        await client.JoinForAckAsync(room);
        await client.PublishAsync(room, "x", "1", mid: "only");
        var ack = await client.WaitForAckAsync("only");
        Assert.Null(ack.Position);
        Assert.True(ack.Json.GetProperty("seq").GetInt64() > 0);
    }

    /// <summary>The room frames <paramref name="client"/> receives until it has seen <paramref name="ticks"/> ticks.</summary>
    private static async Task<List<ReceivedFrame>> RoomFramesAsync(TestClient client, string room, int ticks)
    {
        var frames = new List<ReceivedFrame>();
        while (frames.Count(f => f.Event == "tick") < ticks)
        {
            var frame = await client.NextFrameAsync();
            if (frame.Room == room && frame.Position is not null && frame.Event != EventNames.JoinAck)
            {
                frames.Add(frame);
            }
        }

        return frames;
    }

    private static void AssertConsecutive(List<ReceivedFrame> frames)
    {
        for (var i = 1; i < frames.Count; i++)
        {
            Assert.True(frames[i].Position == frames[i - 1].Position + 1, $"position {frames[i].Position} after {frames[i - 1].Position} ({frames[i]})");
        }
    }
}
