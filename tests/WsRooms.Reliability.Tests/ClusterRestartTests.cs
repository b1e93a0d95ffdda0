using System.Diagnostics;
using System.Net.WebSockets;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// Every silo stopped (SIGTERM) and started again, with state in Azure Table. What clients still connected to the
/// edge hosts experience: their sockets stay open, they stay members of their rooms (rows in the table), frames they
/// send while no silo runs are dropped, and broadcasts flow again once the silos are back and the edges have
/// resubscribed (their subscriptions are in the durable PubSubStore).
/// </summary>
public sealed class ClusterRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RestartingEverySiloKeepsConnectedClientsInTheirRoomsAndBroadcastsFlowAgain()
    {
        await using var stack = await AzureStack.StartAsync(output, silos: 2, edges: 2);
        var clients = new List<TestClient>();
        try
        {
            var room = "r-" + Guid.NewGuid().ToString("N");
            var a = await TestClient.ConnectAsync(stack.Edges[0].WebSocketUri);
            var b = await TestClient.ConnectAsync(stack.Edges[1].WebSocketUri);
            clients.Add(a);
            clients.Add(b);
            await a.JoinAsync(room);
            await b.JoinAsync(room);
            await a.SendAsync(room, "before", "1");
            await b.WaitForAsync(m => m.Event == "before");

            var down = Stopwatch.StartNew();
            await Task.WhenAll(stack.Silos.Select(s => s.Process!.StopAsync(TimeSpan.FromSeconds(60))));
            output.WriteLine($"All {stack.Silos.Count} silos stopped (SIGTERM) in {down.Elapsed.TotalSeconds:F2} s");

            // Nothing runs: a frame sent now is dropped by the edge (its grain call fails), the socket stays open.
            await a.SendAsync(room, "while-down", "lost");

            var up = Stopwatch.StartNew();
            await Task.WhenAll(stack.Silos.Select(stack.StartSiloAsync));
            var siloStart = up.Elapsed;

            // Broadcasts flow again both ways, between the same two sockets.
            var seq = 0;
            await Poll.UntilAsync(async () =>
            {
                await a.SendAsync(room, "after", (seq++).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return await TryReceiveAsync(b, "after");
            }, TimeSpan.FromSeconds(60), "a broadcast from A to reach B after the restart");
            var flowing = up.Elapsed;
            await b.SendAsync(room, "reply", "back");
            await a.WaitForAsync(m => m.Event == "reply", TimeSpan.FromSeconds(30));

            Assert.Equal(WebSocketState.Open, a.Socket.State);
            Assert.Equal(WebSocketState.Open, b.Socket.State);
            // The test's own Orleans client finds the restarted gateways on its next gateway-list refresh: ask until it can.
            IReadOnlyList<string> members = [];
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    members = await stack.Client.GetRoom(room).GetMembersAsync();
                    return true;
                }
                catch (Orleans.Runtime.OrleansMessageRejectionException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(90), "the test's Orleans client to reach the restarted cluster");
            Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), members.Order(StringComparer.Ordinal));
            Assert.NotNull(await stack.Client.GetConnection(a.Id).GetInfoAsync());
            output.WriteLine($"Silos back (gateways open) {siloStart.TotalSeconds:F2} s after starting them; broadcasts between the same sockets flowed again {flowing.TotalSeconds:F2} s after starting them ({seq} attempts); both clients stayed connected and members");
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

    private static async Task<bool> TryReceiveAsync(TestClient client, string @event)
    {
        try
        {
            await client.WaitForAsync(m => m.Event == @event, TimeSpan.FromMilliseconds(500));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
