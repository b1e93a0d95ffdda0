using System.Diagnostics;
using System.Globalization;

namespace WsRooms.Testing;

/// <summary>
/// A fresh, in-memory Azurite (the Azure Storage emulator) on free loopback ports, killed on dispose. Start one per
/// test class or cluster, so no test sees another's tables.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's built-in development account; its key is published with Azurite and works only against it.</summary>
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    // Where `npm ci` puts the executable, looked for in the test's directory and every directory above it.
    private static readonly string[] ExecutablePaths =
    [
        Path.Combine("tools", "node_modules", ".bin", "azurite"),
        Path.Combine("node_modules", ".bin", "azurite"),
    ];

    private readonly Process _process;

    private Azurite(Process process, OutputLog log, int blobPort)
    {
        _process = process;
        Log = log;
        BlobPort = blobPort;
    }

    /// <summary>The blob service's port; the queue service listens on the next port and the table service on the one after.</summary>
    public int BlobPort { get; }

    /// <summary>Azurite's output, for failure messages.</summary>
    public OutputLog Log { get; }

    /// <summary>A storage connection string for the development account on this instance's three services.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{Account};QueueEndpoint=http://127.0.0.1:{BlobPort + 1}/{Account};TableEndpoint=http://127.0.0.1:{BlobPort + 2}/{Account};";

    /// <summary>
    /// Starts Azurite and waits until its three services accept connections. <paramref name="executable"/> defaults
    /// to the first <c>tools/node_modules/.bin/azurite</c> or <c>node_modules/.bin/azurite</c> found in the test's
    /// directory or above it.
    /// </summary>
    /// <exception cref="FileNotFoundException">No Azurite executable was found.</exception>
    /// <exception cref="TimeoutException">Azurite did not listen within <paramref name="timeout"/> (default 60 s).</exception>
    public static async Task<Azurite> StartAsync(TimeSpan? timeout = null, string? executable = null)
    {
        executable ??= FindExecutable();
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePorts.Consecutive(3);
            var info = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--silent", "--inMemoryPersistence", "--extentMemoryLimit", "512",
                "--blobHost", "127.0.0.1", "--blobPort", Port(port),
                "--queueHost", "127.0.0.1", "--queuePort", Port(port + 1),
                "--tableHost", "127.0.0.1", "--tablePort", Port(port + 2),
                "--skipApiVersionCheck", "--disableTelemetry",
            })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start.");
            var started = new Azurite(process, new OutputLog(process, "azurite"), port);
            try
            {
                await Poll.UntilAsync(
                    () => Task.FromResult(process.HasExited || (FreePorts.Accepts(port) && FreePorts.Accepts(port + 1) && FreePorts.Accepts(port + 2))),
                    timeout ?? TimeSpan.FromSeconds(60),
                    "Azurite to listen");
                if (process.HasExited)
                {
                    throw new InvalidOperationException("Azurite exited during start: " + started.Log.Tail());
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

    /// <summary>Kills Azurite (its data was in memory only).</summary>
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
            // Already gone, or past saving: the process handle is released either way.
        }

        _process.Dispose();
    }

    private static string FindExecutable()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var relative in ExecutablePaths)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"No Azurite executable ({string.Join(" or ", ExecutablePaths)}) in {AppContext.BaseDirectory} or above it: run `npm ci` in tools/ (./test.sh does).");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
