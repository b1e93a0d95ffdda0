using System.Diagnostics;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// kill -9 one of two silo processes under steady traffic: membership and connection records are in Azure Table,
/// so the rooms the dead silo held come back on the other one with every member; delivery resumes within 10 s with
/// the test membership timings. Prints the recovery time and the ticks lost.
/// </summary>
public sealed class SiloFailureTests(ITestOutputHelper output)
{
    private const int Rooms = 8;
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task KillingOneOfTwoSilosKeepsMembershipAndDeliveryResumes()
    {
        // A lease longer than failure detection: a renewal routed through the dying silo must not expire a live edge.
        await using var stack = await AzureStack.StartAsync(output, silos: 2, edges: 2, edgeLease: TimeSpan.FromSeconds(15));
        var clock = Stopwatch.StartNew();
        var traffic = new List<RoomTraffic>();
        try
        {
            // Eight rooms spread over both silos (random placement): each has a sender on edge A, a receiver on B.
            for (var i = 0; i < Rooms; i++)
            {
                var room = $"steady-{i}-{Guid.NewGuid():N}";
                var sender = await TestClient.ConnectAsync(stack.Edges[0].WebSocketUri);
                var receiver = await TestClient.ConnectAsync(stack.Edges[1].WebSocketUri);
                await receiver.JoinAsync(room);
                await sender.JoinAsync(room);
                traffic.Add(new RoomTraffic(room, sender, receiver, clock));
            }

            foreach (var t in traffic)
            {
                t.Start(TickInterval);
            }

            await Poll.UntilAsync(() => Task.FromResult(traffic.All(t => t.Received >= 10)), TimeSpan.FromSeconds(30), "steady delivery in every room");

            var killedAt = clock.ElapsedTicks;
            await stack.Silos[1].Process!.KillAsync();
            output.WriteLine($"kill -9 {stack.Silos[1].Name} (pid {stack.Silos[1].Process!.Pid})");

            // Delivery is back when ticks sent well after the failure detection arrive (10 s: the assertion's bound).
            var settled = killedAt + (10 * Stopwatch.Frequency);
            await Poll.UntilAsync(() => Task.FromResult(traffic.All(t => t.ReceivedOneSentAfter(settled))), TimeSpan.FromSeconds(90), "delivery to resume in every room");
            await Task.Delay(TimeSpan.FromSeconds(1));
            var stoppedAt = clock.ElapsedTicks;
            foreach (var t in traffic)
            {
                await t.StopSendingAsync();
            }

            // Resumed = the end of the last silence over 1 s (ticks go every 50 ms).
            var recoveries = traffic.Select(t => t.ResumedAfter(killedAt, TimeSpan.FromSeconds(1))!.Value).ToArray();
            var worst = recoveries.Max();

            // In-flight ticks: wait until everything sent up to 1 s before the stop has arrived, or 10 s at most.
            try
            {
                await Poll.UntilAsync(() => Task.FromResult(traffic.All(t => t.LostBetween(stoppedAt - Stopwatch.Frequency, stoppedAt) == 0)), TimeSpan.FromSeconds(10), "the last ticks to arrive");
            }
            catch (TimeoutException)
            {
                // Reported below, room by room.
            }

            var windowEnd = killedAt + (long)(worst.TotalSeconds * Stopwatch.Frequency);
            var lost = traffic.Sum(t => t.LostBetween(0, stoppedAt));
            var lostInWindow = traffic.Sum(t => t.LostBetween(killedAt - Stopwatch.Frequency, windowEnd));
            var sent = traffic.Sum(t => t.Sent);
            output.WriteLine($"Delivery resumed in every room {worst.TotalSeconds:F2} s after the kill (per room: {string.Join(", ", recoveries.Select(r => r.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s)");
            output.WriteLine($"Ticks lost: {lostInWindow} in the failure window (kill - 1 s .. recovery), {lost} in the whole run, of {sent} sent ({Rooms} rooms, one tick per {TickInterval.TotalMilliseconds} ms each)");
            foreach (var t in traffic)
            {
                output.WriteLine($"  {t.Room[..8]}: sent {t.Sent}, received {t.Received}, lost after recovery {t.LostBetween(windowEnd, stoppedAt)}, recovered after {t.RecoveredAfter(killedAt)?.TotalSeconds:F2} s");
            }

            // What bounds it: failure detection (ProbeTimeout 2 s × 3 missed probes) plus the response timeout of
            // calls in flight to the dead silo (3 s here). Deliveries reach the edges by push streams, so nothing
            // waits for a stream queue to move to the survivor.
            Assert.True(worst < TimeSpan.FromSeconds(10), $"delivery took {worst} to resume");

            // Membership intact: every room still lists both members, every connection is still known.
            foreach (var t in traffic)
            {
                var members = await stack.Client.GetRoom(t.Room).GetMembersAsync();
                Assert.Equal(new[] { t.Receiver.Id, t.Sender.Id }.Order(StringComparer.Ordinal), members.Order(StringComparer.Ordinal));
                Assert.NotNull(await stack.Client.GetConnection(t.Sender.Id).GetInfoAsync());
                Assert.NotNull(await stack.Client.GetConnection(t.Receiver.Id).GetInfoAsync());
            }
        }
        catch
        {
            stack.DumpLogs();
            throw;
        }
        finally
        {
            foreach (var t in traffic)
            {
                await t.DisposeAsync();
            }
        }
    }
}
