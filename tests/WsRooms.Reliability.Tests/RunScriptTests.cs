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
                Assert.Equal(child.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(run.LogDir, $"{child.Role}-{child.Number}.pid")).Trim());
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
}
