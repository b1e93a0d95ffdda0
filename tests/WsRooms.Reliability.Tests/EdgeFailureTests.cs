using System.Diagnostics;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// kill -9 an edge host: within its lease (3 s here, 30 s by default) plus the silo's sweep, each of its connections
/// leaves every room and the members on the other edge get member_left; a restarted edge host serves at once.
/// </summary>
public sealed class EdgeFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillingAnEdgeHostMakesItsClientsLeaveWithinTheLeaseAndARestartedOneServesAtOnce()
    {
        await using var stack = await AzureStack.StartAsync(output, silos: 2, edges: 2);
        var clients = new List<TestClient>();
        try
        {
            var room = "r-" + Guid.NewGuid().ToString("N");
            var other = "o-" + Guid.NewGuid().ToString("N");
            var onA = new List<TestClient>();
            var onB = new List<TestClient>();
            for (var i = 0; i < 3; i++)
            {
                var a = await TestClient.ConnectAsync(stack.Edges[0].WebSocketUri);
                var b = await TestClient.ConnectAsync(stack.Edges[1].WebSocketUri);
                clients.Add(a);
                clients.Add(b);
                onA.Add(a);
                onB.Add(b);
            }

            foreach (var c in onB.Concat(onA))
            {
                await c.JoinAsync(room);
            }

            await onB[0].JoinAsync(other);
            await onA[0].JoinAsync(other);
            var watcher = onB[0];
            var gone = onA.Select(c => c.Id).ToHashSet();

            var edgeA = stack.Edges[0];
            var watch = Stopwatch.StartNew();
            await edgeA.Process!.KillAsync();
            output.WriteLine($"kill -9 {edgeA.Name} (pid {edgeA.Process.Pid}) holding {onA.Count} connections");

            // Every connection of the dead edge leaves both rooms; the watcher on edge B is told of each.
            var left = new HashSet<(string Room, string Id)>();
            while (left.Count < gone.Count + 1)
            {
                var m = await watcher.WaitForAsync(m => m.Event == EventNames.MemberLeft, TimeSpan.FromSeconds(30));
                Assert.Contains(m.PayloadText, gone);
                left.Add((m.Room, m.PayloadText));
            }

            var expiredAfter = watch.Elapsed;
            output.WriteLine($"Every member_left for the dead edge's connections arrived {expiredAfter.TotalSeconds:F2} s after kill -9 (lease {stack.EdgeLease.TotalSeconds} s, sweep 0.25 s)");
            Assert.True(expiredAfter >= stack.EdgeLease - TimeSpan.FromSeconds(1.5), $"expired after {expiredAfter}, before the lease could lapse");
            Assert.True(expiredAfter < stack.EdgeLease + TimeSpan.FromSeconds(7), $"expired only after {expiredAfter}");
            Assert.Equal(onB.Select(c => c.Id).Order(StringComparer.Ordinal), (await stack.Client.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
            Assert.Equal([watcher.Id], await stack.Client.GetRoom(other).GetMembersAsync());
            foreach (var id in gone)
            {
                Assert.Null(await stack.Client.GetConnection(id).GetInfoAsync());
            }

            Assert.DoesNotContain(await stack.Client.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).GetLiveEdgesAsync(), e => e.Contains($"-{edgeA.Process.Pid}-", StringComparison.Ordinal));

            // A restarted edge host (a new process, a fresh edge id) serves at once.
            var restart = Stopwatch.StartNew();
            await stack.StartEdgeAsync(edgeA);
            var serving = restart.Elapsed;
            var newcomer = await TestClient.ConnectAsync(edgeA.WebSocketUri);
            clients.Add(newcomer);
            var members = await newcomer.JoinAsync(room);
            Assert.Equal(onB.Select(c => c.Id).Append(newcomer.Id).Order(StringComparer.Ordinal), members.Order(StringComparer.Ordinal));
            await onB[1].SendAsync(room, "hello", "from B");
            Assert.Equal("from B", (await newcomer.WaitForAsync(m => m.Event == "hello")).PayloadText);
            output.WriteLine($"Restarted {edgeA.Name}: serving WebSocket clients {serving.TotalSeconds:F2} s after the process started (process start included); a new client joined and received a broadcast from edge B");
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
}
