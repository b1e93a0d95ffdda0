using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using WsRooms.Testing;

namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>
/// <c>./run.sh --no-build</c> as a user runs it (against the Release build), with its logs in a directory of its own
/// and every line it prints kept for the test to wait on. Dispose stops it (SIGTERM, then the whole process tree).
/// </summary>
public sealed partial class RunScript : IAsyncDisposable
{
    /// <summary>How long run.sh may take to print "Press Ctrl-C": a cold start on 2 busy cores, Azurite's npm ci included.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(240);

    private readonly Process _process;
    private readonly List<string> _lines = [];

    private RunScript(Process process, string logDir)
    {
        _process = process;
        LogDir = logDir;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Where run.sh writes the processes' logs and PID files (its --log-dir).</summary>
    public string LogDir { get; }

    /// <summary>The processes run.sh listed once it was ready, in its order.</summary>
    public IReadOnlyList<RunScriptChild> Children { get; private set; } = [];

    /// <summary>Whether run.sh itself has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything run.sh printed so far, standard output and error interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>
    /// Starts <c>run.sh --no-build --log-dir (a fresh directory) --port P</c> plus <paramref name="args"/>, P the
    /// first of <paramref name="edges"/> free ports, and waits until it is ready. A port taken between the choice and
    /// run.sh's own check is tried again with other ports.
    /// </summary>
    public static async Task<RunScript> StartAsync(int edges, params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            var script = Start(FreePorts.Consecutive(edges), args.Append("--edges").Append(edges.ToString(CultureInfo.InvariantCulture)));
            try
            {
                await script.WaitForLineAsync(l => l == "Press Ctrl-C to stop.", StartTimeout, "run.sh to be ready");
                script.Children = [.. script.Lines().Select(l => ChildLine().Match(l)).Where(m => m.Success).Select(RunScriptChild.From)];
                return script;
            }
            catch (Exception) when (attempt < 3 && script.Output.Contains("already in use", StringComparison.Ordinal))
            {
                await script.DisposeAsync();
            }
            catch
            {
                await script.DisposeAsync();
                throw;
            }
        }
    }

    private static RunScript Start(int port, IEnumerable<string> args)
    {
        var logDir = Path.Combine(Path.GetTempPath(), "wsrooms-run-" + Guid.NewGuid().ToString("N")[..8]);
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var arg in (string[])[Path.Combine(RepoPaths.Root, "run.sh"), "--no-build", "--log-dir", logDir, "--port", port.ToString(CultureInfo.InvariantCulture), .. args])
        {
            info.ArgumentList.Add(arg);
        }

        return new RunScript(Process.Start(info) ?? throw new InvalidOperationException("run.sh did not start."), logDir);
    }

    /// <summary>The one child run.sh listed with this role and number.</summary>
    public RunScriptChild Child(string role, int number) =>
        Children.Single(c => c.Role == role && c.Number == number);

    /// <summary>The lines printed so far.</summary>
    public string[] Lines()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    /// <summary>Waits until run.sh has printed a line matching <paramref name="match"/> and returns its index in <see cref="Lines"/>.</summary>
    public async Task<int> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var index = -1;
        try
        {
            await Poll.UntilAsync(
                () =>
                {
                    index = Array.FindIndex(Lines(), l => match(l));
                    return Task.FromResult(index >= 0 || _process.HasExited);
                },
                timeout,
                what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nrun.sh printed:\n{Output}", e);
        }

        if (index < 0)
        {
            // Its output may still be arriving after the exit: one last look.
            _process.WaitForExit();
            index = Array.FindIndex(Lines(), l => match(l));
        }

        return index >= 0 ? index : throw new InvalidOperationException($"run.sh exited ({_process.ExitCode}) before printing the line awaited ({what}):\n{Output}");
    }

    /// <summary>SIGTERM, as Ctrl-C stops it; returns its exit code, or throws when it has not ended within <paramref name="timeout"/>.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"run.sh did not stop within {timeout} after SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Stops run.sh if a test left it running; kills whatever is left of its tree; removes its logs.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await StopAsync(TimeSpan.FromSeconds(60));
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        // Whatever the test left: no child outlives the test.
        foreach (var child in Children.Where(c => c.IsRunning))
        {
            child.Kill();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(LogDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    // "  edge    2   pid 12345   http://127.0.0.1:8081": run.sh's table of what it started.
    [GeneratedRegex(@"^\s+(silo|edge|azurite)\s+(\d+)\s+pid\s+(\d+)\s+(.*)$")]
    private static partial Regex ChildLine();
}
