using System.Globalization;
using System.Text.Json.Nodes;

namespace WsRooms.LoadGen;

/// <summary>
/// CPU time and resident memory of the server processes and of the generator itself, from /proc. CPU is
/// utime + stime of every thread (clock ticks of 10 ms), so a window of a few seconds reads it to about 1%.
/// </summary>
internal sealed class ProcessMeter(IReadOnlyList<(string Name, int Pid)> servers)
{
    private const double TicksPerSecond = 100; // CLK_TCK on Linux

    public IReadOnlyList<(string Name, int Pid)> Servers { get; } = servers;

    public Sample Take()
    {
        var now = DateTime.UtcNow;
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        var rss = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, pid) in Servers)
        {
            cpu[name] = ReadCpuSeconds(pid);
            rss[name] = ReadRssBytes(pid);
        }

        cpu["generator"] = ReadCpuSeconds(Environment.ProcessId);
        rss["generator"] = ReadRssBytes(Environment.ProcessId);
        return new Sample(now, cpu, rss);
    }

    /// <summary>CPU used between two samples, per process, as seconds and as cores busy on average.</summary>
    public JsonObject CpuBetween(Sample before, Sample after, out double serverCpuSeconds)
    {
        var wall = (after.At - before.At).TotalSeconds;
        var result = new JsonObject { ["wall_s"] = Math.Round(wall, 3) };
        serverCpuSeconds = 0;
        foreach (var (name, seconds) in after.CpuSeconds)
        {
            var used = seconds - before.CpuSeconds[name];
            if (name != "generator")
            {
                serverCpuSeconds += used;
            }

            result[name] = new JsonObject
            {
                ["cpu_s"] = Math.Round(used, 3),
                ["cores"] = wall > 0 ? Math.Round(used / wall, 3) : 0,
            };
        }

        return result;
    }

    public static double ReadCpuSeconds(int pid)
    {
        try
        {
            // Fields after the ")" of the command name: state is field 3, utime 14, stime 15 (1-based).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static long ReadRssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    public sealed record Sample(DateTime At, Dictionary<string, double> CpuSeconds, Dictionary<string, long> RssBytes);
}
