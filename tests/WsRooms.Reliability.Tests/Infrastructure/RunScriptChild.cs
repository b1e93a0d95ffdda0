using System.Globalization;
using System.Text.RegularExpressions;

namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>
/// One process run.sh started, as its table lists it: role, number, PID and where it listens. The process is known
/// by its PID and its start time together, so a PID the system has handed to another process since is not it.
/// </summary>
public sealed class RunScriptChild
{
    private readonly string? _startTime;

    private RunScriptChild(string role, int number, int pid, string detail)
    {
        Role = role;
        Number = number;
        Pid = pid;
        Detail = detail;
        _startTime = StartTime(pid);
    }

    /// <summary>silo, edge or azurite.</summary>
    public string Role { get; }

    /// <summary>Its number among its role, from 1 (Azurite: 0).</summary>
    public int Number { get; }

    /// <summary>Its process id, as run.sh printed it.</summary>
    public int Pid { get; }

    /// <summary>The rest of its line: an edge's URL, a silo's ports.</summary>
    public string Detail { get; }

    /// <summary>An edge host's base URL (http://127.0.0.1:port/).</summary>
    public Uri Url => Role == "edge" ? new Uri(Detail.Trim() + "/") : throw new InvalidOperationException($"{Role} {Number} has no URL.");

    /// <summary>An edge host's WebSocket endpoint.</summary>
    public Uri WebSocketUri => new UriBuilder(Url) { Scheme = "ws", Path = "/ws" }.Uri;

    /// <summary>Whether this very process still runs (not a zombie, not another process under the same PID).</summary>
    public bool IsRunning
    {
        get
        {
            var now = StartTime(Pid);
            return now is not null && now == _startTime && State(Pid) is not ("Z" or "X" or null);
        }
    }

    /// <summary>kill -9, if it still runs.</summary>
    public void Kill()
    {
        if (IsRunning)
        {
            using var process = System.Diagnostics.Process.GetProcessById(Pid);
            process.Kill();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Role} {Number} (pid {Pid}, {Detail})";

    internal static RunScriptChild From(Match line) =>
        new(line.Groups[1].Value, int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(line.Groups[3].Value, CultureInfo.InvariantCulture), line.Groups[4].Value.Trim());

    // /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces, so split after ')'.
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? State(int pid) => StatFields(pid)?[0];

    private static string? StartTime(int pid) => StatFields(pid)?[19];
}
