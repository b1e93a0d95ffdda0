using System.Diagnostics;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// kill -9 an edge host holding v2 sessions (docs/protocol.md, "Sessions"): they are suspended, not ended, and resume
/// on the surviving edge host with their ids, their rooms and every frame they missed, whether they come back at once
/// (the dead edge's lease still runs) or after the lease has lapsed (the reaper suspended them); nobody is told.
/// </summary>
public sealed class EdgeFailureResumeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SessionsOfAKilledEdgeHostResumeOnTheSurvivingOneWithEveryMissedFrameOnceBeforeAndAfterItsLeaseLapses()
    {
        await using var stack = await AzureStack.StartAsync(output, silos: 2, edges: 2);
        var clients = new List<TestClient>();
        try
        {
            var room = "resume-" + Guid.NewGuid().ToString("N");
            var (edgeA, edgeB) = (stack.Edges[0], stack.Edges[1]);
            var peer = await TestClient.ConnectV2Async(edgeB.WebSocketUri);
            var watcher = await TestClient.ConnectAsync(edgeB.WebSocketUri);
            var early = await TestClient.ConnectV2Async(edgeA.WebSocketUri);
            var late = await TestClient.ConnectV2Async(edgeA.WebSocketUri);
            clients.AddRange([peer, watcher, early, late]);
            await peer.JoinForAckAsync(room);
            await watcher.JoinAsync(room);
            await early.JoinForAckAsync(room);
            await late.JoinForAckAsync(room);
            await peer.SendAsync(room, "chat", "before");
            await early.WaitForFrameAsync(f => f.PayloadText == "before");
            await late.WaitForFrameAsync(f => f.PayloadText == "before");
            await watcher.WaitForAsync(m => m.PayloadText == "before"); // what the watcher sees from here on is checked below

            await edgeA.Process!.KillAsync();
            var killed = Stopwatch.StartNew();
            output.WriteLine($"kill -9 {edgeA.Name} (pid {edgeA.Process.Pid}) holding 2 v2 sessions");
            await Task.WhenAll(early.Closed, late.Closed).WaitAsync(TimeSpan.FromSeconds(30));
            await PublishAsync(peer, room, "missed", 3);

            // At once, while the dead edge's lease still runs.
            var earlyBack = await TestClient.ResumeAsync(edgeB.WebSocketUri, early.CreateResumePayload());
            clients.Add(earlyBack);
            output.WriteLine($"The first session resumed on {edgeB.Name} {killed.Elapsed.TotalSeconds:F2} s after the kill (lease {stack.EdgeLease.TotalSeconds} s)");
            await AssertResumedAsync(early, earlyBack, room, ["missed0", "missed1", "missed2"]);

            // After the lease has lapsed and the cluster has given the dead edge up.
            await Poll.UntilAsync(
                async () => !(await stack.Client.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).GetLiveEdgesAsync()).Any(e => e.Contains($"-{edgeA.Process.Pid}-", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30),
                "the dead edge to leave the edge directory");
            await PublishAsync(peer, room, "later", 2);
            var lateBack = await TestClient.ResumeAsync(edgeB.WebSocketUri, late.CreateResumePayload());
            clients.Add(lateBack);
            output.WriteLine($"The second session resumed on {edgeB.Name} {killed.Elapsed.TotalSeconds:F2} s after the kill, after the lease lapsed");
            await AssertResumedAsync(late, lateBack, room, ["missed0", "missed1", "missed2", "later0", "later1"]);

            // Nobody was told, and both sessions are members still, on the surviving edge.
            await peer.SendAsync(room, "chat", "marker");
            var seen = await watcher.CollectUntilAsync(m => m.PayloadText == "marker");
            Assert.DoesNotContain(seen, m => m.Event is EventNames.MemberLeft or EventNames.NewMember);
            await earlyBack.WaitForFrameAsync(f => f.PayloadText == "marker");
            await lateBack.WaitForFrameAsync(f => f.PayloadText == "marker");
            Assert.Equal(
                new[] { peer.Id, watcher.Id, early.Id, late.Id }.Order(StringComparer.Ordinal),
                (await stack.Client.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        }
        catch
        {
            stack.DumpLogs();
            throw;
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    private static async Task PublishAsync(TestClient peer, string room, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await peer.PublishAsync(room, "chat", $"{prefix}{i}", $"{prefix}{i}");
            await peer.WaitForAckAsync($"{prefix}{i}");
        }
    }

    /// <summary>Same id, the room answered true, the missed frames once and in order, then a live one.</summary>
    private static async Task AssertResumedAsync(TestClient before, TestClient after, string room, string[] missed)
    {
        Assert.True(after.Resumed!.Resumed);
        Assert.Equal(before.Id, after.Id);
        Assert.True(after.Resumed.Rooms[room]);
        var replay = new List<ReceivedFrame>();
        for (var i = 0; i < missed.Length; i++)
        {
            replay.Add(await after.WaitForFrameAsync(f => f.Room == room && f.Event == "chat"));
        }

        Assert.Equal(missed, replay.Select(f => f.PayloadText));
        Assert.Equal(before.RoomPositions[room] + 1, replay[0].Position);
        Assert.Equal(Enumerable.Range(0, missed.Length).Select(i => replay[0].Position + i), replay.Select(f => f.Position));
    }
}
