using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WsRooms.Testing;

/// <summary>
/// A fresh, in-memory Azurite (tools/node_modules, installed by test.sh's <c>npm ci</c>) on free loopback ports,
/// killed on dispose. Each test class starts its own, so no test sees another's tables.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's built-in development account; its key is published with Azurite and works only against it.</summary>
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly OutputLog _log;

    private Azurite(Process process, OutputLog log, int blobPort)
    {
        _process = process;
        _log = log;
        BlobPort = blobPort;
    }

    public int BlobPort { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{Account};QueueEndpoint=http://127.0.0.1:{BlobPort + 1}/{Account};TableEndpoint=http://127.0.0.1:{BlobPort + 2}/{Account};";

    public static async Task<Azurite> StartAsync(TimeSpan? timeout = null)
    {
        var azurite = Path.Combine(RepoPaths.Root, "tools", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"{azurite} is missing: run `npm ci` in tools/ (./test.sh does).");
        }

        for (var attempt = 0; ; attempt++)
        {
            var port = FreePorts.Consecutive(3);
            var info = new ProcessStartInfo(azurite)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--silent", "--inMemoryPersistence", "--extentMemoryLimit", "512",
                "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--queueHost", "127.0.0.1", "--queuePort", (port + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tableHost", "127.0.0.1", "--tablePort", (port + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--skipApiVersionCheck", "--disableTelemetry",
            })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("Azurite did not start.");
            var log = new OutputLog(process, "azurite");
            var started = new Azurite(process, log, port);
            try
            {
                await Poll.UntilAsync(
                    () => Task.FromResult(process.HasExited || (FreePorts.Accepts(port) && FreePorts.Accepts(port + 1) && FreePorts.Accepts(port + 2))),
                    timeout ?? TimeSpan.FromSeconds(60),
                    "Azurite to listen");
                if (process.HasExited)
                {
                    throw new InvalidOperationException("Azurite exited during start: " + log.Tail());
                }

                return started;
            }
            catch when (attempt < 2)
            {
                // Most likely a port taken between choosing and binding it: another set of ports.
                await started.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        _process.Dispose();
    }
}

/// <summary>Where the repository and its build outputs are.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WsRooms.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("WsRooms.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A built process's dll: Release (what test.sh builds) or, failing that, Debug; the newer when both exist.</summary>
    public static string BuiltDll(string project, string assembly)
    {
        var candidates = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(Root, "src", project, "bin", c, "net10.0", assembly + ".dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToArray();
        return candidates.Length > 0
            ? candidates[0]
            : throw new InvalidOperationException($"{assembly}.dll is not built under src/{project}/bin/(Release|Debug)/net10.0: build the solution first.");
    }
}

public static class FreePorts
{
    public static int One()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port P such that P … P+count-1 are all free now.</summary>
    public static int Consecutive(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = One();
            if (first + count - 1 > 65535)
            {
                continue;
            }

            if (Enumerable.Range(first + 1, count - 1).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found.");
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Something accepts TCP connections on 127.0.0.1:port.</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A child process's output, kept (the last lines) for failure messages and optionally echoed.</summary>
public sealed class OutputLog
{
    private readonly Queue<string> _lines = new();
    private readonly string _name;

    private readonly StreamWriter? _file;

    public OutputLog(Process process, string name, string? file = null)
    {
        _name = name;
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            _file = new StreamWriter(file, append: false) { AutoFlush = true };
        }

        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Tail(int lines = 40)
    {
        lock (_lines)
        {
            // Stack traces make lines long: the start of each line says what happened.
            return $"--- last lines of {_name} ---\n" + string.Join('\n', _lines.TakeLast(lines).Select(l => l.Length <= 300 ? l : l[..300] + " …"));
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _file?.WriteLine(line);
            _lines.Enqueue(line);
            while (_lines.Count > 400)
            {
                _lines.Dequeue();
            }
        }
    }
}
