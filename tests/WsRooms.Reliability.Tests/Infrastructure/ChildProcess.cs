using System.Diagnostics;
using System.Globalization;
using WsRooms.Testing;

namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>A silo or edge host started with <c>dotnet the.dll args</c>; killed (the whole tree) on dispose.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(string name, Process process, string? logFile)
    {
        Name = name;
        _process = process;
        Log = new OutputLog(process, name, logFile);
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public OutputLog Log { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts it; its whole output also goes to <paramref name="logFile"/> when given (kept for a failed run).</summary>
    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, string? logFile = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start.");
        return new ChildProcess(name, process, logFile);
    }

    /// <summary>kill -9: no shutdown code runs, sockets are reset by the kernel.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>SIGTERM, as an orchestrator stops a container: the host's graceful shutdown runs.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new TimeoutException($"{Name} did not stop within {timeout} after SIGTERM; killed. {Log.Tail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        _process.Dispose();
    }
}
