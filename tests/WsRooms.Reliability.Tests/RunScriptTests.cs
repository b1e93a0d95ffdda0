using System.Globalization;
using System.Net;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// ./run.sh keeps a cluster running for the failover drills (docs/operations.md): kill -9 one of its processes, and
/// it names the dead one with the last lines of its log while the others go on serving; SIGTERM still stops every
/// process it started.
/// </summary>
public sealed class RunScriptTests(ITestOutputHelper output)
{
    private static readonly TimeSpan DeathReported = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(120);

    // Orleans' default failure detection (run.sh sets no test timings): roughly 7-18 s to declare a silo dead, plus
    // calls and deliveries in flight through it timing out (docs/operations.md); room to spare on 2 busy cores.
    private static readonly TimeSpan SiloFailover = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task KillingOneEdgeHostLeavesTheOtherServingAndSigtermStopsEveryProcess()
    {
        await using var run = await RunScript.StartAsync(edges: 2);
        try
        {
            var silo = run.Child("silo", 1);
            var survivor = run.Child("edge", 1);
            var victim = run.Child("edge", 2);
            Assert.Equal(3, run.Children.Count);
            foreach (var child in run.Children)
            {
                // The PID files a user kills from.
                Assert.Equal(child.Pid.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(run.LogDir, $"{child.Role}-{child.Number}.pid")).Trim());
            }

            victim.Kill();
            output.WriteLine($"kill -9 {victim}");

            var died = await run.WaitForLineAsync(
                l => l == $"run.sh: edge 2 ({victim.Detail}, pid {victim.Pid}) died: killed by SIGKILL",
                DeathReported,
                "run.sh to report the edge host's death");

            // The line is followed by the last lines of the dead edge's log, as they are in the file.
            var lines = run.Lines();
            var log = Path.Combine(run.LogDir, "edge-2.log");
            Assert.Equal($"---- last lines of {log} ----", lines[died + 1]);
            var end = Array.IndexOf(lines, "----", died + 2);
            Assert.True(end > died + 2, "run.sh showed no line of the dead edge's log:\n" + run.Output);
            Assert.Equal(File.ReadAllLines(log).TakeLast(end - died - 2), lines[(died + 2)..end]);
            Assert.False(File.Exists(Path.Combine(run.LogDir, "edge-2.pid")), "the dead edge's PID file is gone");

            // Everything else goes on: run.sh, the silo, and the other edge, which serves a room.
            Assert.False(run.HasExited, "run.sh is still running:\n" + run.Output);
            Assert.True(silo.IsRunning && survivor.IsRunning, "the silo and the other edge host still run");
            using (var http = new HttpClient())
            {
                var ready = await http.GetAsync(new Uri(survivor.Url, "readyz"));
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            await using (var a = await TestClient.ConnectAsync(survivor.WebSocketUri))
            await using (var b = await TestClient.ConnectAsync(survivor.WebSocketUri))
            {
                var room = TestNames.Room();
                await a.JoinAsync(room);
                await b.JoinAsync(room);
                await a.SendAsync(room, "hello", "after the kill");
                Assert.Equal("after the kill", (await b.WaitForAsync(m => m.Room == room && m.Event == "hello")).PayloadText);
            }

            Assert.False(run.HasExited, "run.sh is still running:\n" + run.Output);

            // SIGTERM stops every process it started; its exit code says one had died.
            var code = await run.StopAsync(StopTimeout);
            Assert.Equal(1, code);
            Assert.Contains("Stopped.", run.Lines());
            Assert.DoesNotContain(run.Children, c => c.IsRunning);
            Assert.Empty(Directory.GetFiles(run.LogDir, "*.pid"));
            output.WriteLine(run.Output);
        }
        catch
        {
            output.WriteLine("run.sh printed:\n" + run.Output);
            throw;
        }
    }

    [Fact]
    public async Task KillingOneSiloOfAnAzureRunLeavesTheOtherCarryingTheRooms()
    {
        await using var run = await RunScript.StartAsync(edges: 2, "--azure", "--silos", "2");
        var clients = new List<TestClient>();
        try
        {
            var victim = run.Child("silo", 1);
            Assert.Equal(["azurite", "silo", "silo", "edge", "edge"], run.Children.Select(c => c.Role));

            // Members on both edges before the kill: their sockets and their room outlive the silo.
            var room = TestNames.Room();
            var onEdge1 = await TestClient.ConnectAsync(run.Child("edge", 1).WebSocketUri);
            clients.Add(onEdge1);
            var onEdge2 = await TestClient.ConnectAsync(run.Child("edge", 2).WebSocketUri);
            clients.Add(onEdge2);
            await onEdge1.JoinAsync(room);
            await onEdge2.JoinAsync(room);

            victim.Kill();
            output.WriteLine($"kill -9 {victim}");
            var died = await run.WaitForLineAsync(
                l => l == $"run.sh: silo 1 ({victim.Detail}, pid {victim.Pid}) died: killed by SIGKILL",
                DeathReported,
                "run.sh to report the silo's death");
            Assert.Equal($"---- last lines of {Path.Combine(run.LogDir, "silo-1.log")} ----", run.Lines()[died + 1]);
            await run.WaitForLineAsync(l => l.StartsWith("run.sh: the other silos carry on", StringComparison.Ordinal), DeathReported, "run.sh to say the others carry on");

            // The room delivers across the edges again, through the surviving silo: a tick until one arrives.
            var tick = 0;
            await Poll.UntilAsync(
                async () =>
                {
                    await onEdge1.SendAsync(room, "tick", (++tick).ToString(CultureInfo.InvariantCulture));
                    await onEdge2.WaitForAsync(m => m.Room == room && m.Event == "tick", TimeSpan.FromSeconds(5));
                    return true;
                },
                SiloFailover,
                "a broadcast from edge 1 to reach edge 2 after the kill");
            output.WriteLine($"Broadcast across the edges again after {tick} tick(s)");

            // A newcomer gets root's join_ack, finds the members the room had, and hears them. Until the dead silo
            // is declared dead a call routed to it times out and its frame is dropped: a fresh newcomer then tries again.
            var tries = 0;
            await Poll.UntilAsync(
                async () =>
                {
                    var newcomer = await TestClient.ConnectAsync(run.Child("edge", 2).WebSocketUri);
                    clients.Add(newcomer);
                    tries++;
                    var members = await newcomer.JoinAsync(room);
                    Assert.Contains(onEdge1.Id, members);
                    Assert.Contains(onEdge2.Id, members);
                    var text = "after the silo kill " + tries.ToString(CultureInfo.InvariantCulture);
                    await onEdge1.SendAsync(room, "hello", text);
                    await newcomer.WaitForAsync(m => m.Room == room && m.Event == "hello" && m.PayloadText == text, TimeSpan.FromSeconds(10));
                    return true;
                },
                SiloFailover,
                "a newcomer on edge 2 to join the room and hear a member on edge 1");
            output.WriteLine($"A newcomer joined and heard the room at try {tries}");
            Assert.False(run.HasExited, "run.sh is still running:\n" + run.Output);

            Assert.Equal(1, await run.StopAsync(StopTimeout));
            Assert.DoesNotContain(run.Children, c => c.IsRunning);
            output.WriteLine(run.Output);
        }
        catch
        {
            output.WriteLine("run.sh printed:\n" + run.Output);
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
