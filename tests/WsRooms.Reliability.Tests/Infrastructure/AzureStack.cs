using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>
/// The deployment in miniature: a fresh Azurite, silo processes (Azure Table clustering and grain state, test
/// membership timings) and edge host processes (a short lease), all on free loopback ports, plus an Orleans client
/// for looking at membership. Dispose kills everything it started, whatever state the test left it in.
/// </summary>
public sealed class AzureStack : IAsyncDisposable
{
    /// <summary>The lease the edge hosts get by default here (production default: 30 s).</summary>
    public static readonly TimeSpan ShortEdgeLease = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<ChildProcess> _processes = [];
    private readonly ITestOutputHelper _output;
    private readonly string _clusterId = "reliability-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? _client;

    private readonly IReadOnlyList<string> _siloSettings;

    private AzureStack(Azurite azurite, ITestOutputHelper output, TimeSpan edgeLease, IReadOnlyList<string> siloSettings)
    {
        _siloSettings = siloSettings;
        Azurite = azurite;
        _output = output;
        EdgeLease = edgeLease;
    }

    /// <summary>
    /// The edge hosts' lease. It must outlast the detection of a dead silo (about 3-9 s with the test timings on a
    /// busy machine): while a silo is being declared dead, renewals routed through it fail, and a shorter lease
    /// would expire live edges (their clients get 1012 and reconnect).
    /// </summary>
    public TimeSpan EdgeLease { get; }

    public Azurite Azurite { get; }

    public List<SiloHandle> Silos { get; } = [];

    public List<EdgeHandle> Edges { get; } = [];

    /// <summary>A plain Orleans client of the cluster, for reading membership (not an edge).</summary>
    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("No client yet.");

    /// <param name="siloSettings">More command-line settings for every silo (<c>--Key</c>, value, …), after the stack's own.</param>
    public static async Task<AzureStack> StartAsync(ITestOutputHelper output, int silos, int edges, TimeSpan? edgeLease = null, IReadOnlyList<string>? siloSettings = null)
    {
        var watch = Stopwatch.StartNew();
        var stack = new AzureStack(await Azurite.StartAsync(), output, edgeLease ?? ShortEdgeLease, siloSettings ?? []);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                stack.Silos.Add(new SiloHandle($"silo-{i + 1}", FreePorts.One(), FreePorts.One()));
            }

            // Side by side: with table clustering no silo waits for a primary.
            await Task.WhenAll(stack.Silos.Select(stack.StartSiloAsync));
            await stack.StartClientAsync();

            // A gateway accepts connections before its silo has joined the cluster. A test that kills one silo while
            // the other is still joining (validating its connection to the first) finds a survivor that can neither
            // finish joining nor declare the dead one dead: wait until every silo is an active member. Only then the
            // edges: a client reads its gateways from the table's active silos (and again every 10 s), so an edge
            // started earlier may know one gateway only, and lose the cluster altogether when that silo is killed.
            await Poll.UntilAsync(
                async () => (await stack.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == silos,
                StartTimeout,
                $"all {silos} silos to be active members");
            for (var i = 0; i < edges; i++)
            {
                stack.Edges.Add(new EdgeHandle($"edge-{(char)('A' + i)}", FreePorts.One()));
            }

            await Task.WhenAll(stack.Edges.Select(stack.StartEdgeAsync));
            output.WriteLine($"Stack up in {watch.Elapsed.TotalSeconds:F1} s: Azurite on {stack.Azurite.BlobPort}-{stack.Azurite.BlobPort + 2}, {silos} silos, {edges} edge hosts (lease {stack.EdgeLease.TotalSeconds} s)");
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    public async Task StartSiloAsync(SiloHandle silo)
    {
        var process = ChildProcess.Start(silo.Name, RepoPaths.BuiltDll("Silo", "WsRooms.Silo"),
        [
            "--Orleans:ClusterId", _clusterId,
            "--Orleans:ServiceId", "wsrooms-reliability",
            "--Orleans:SiloPort", Port(silo.SiloPort),
            "--Orleans:GatewayPort", Port(silo.GatewayPort),
            "--Orleans:AdvertisedIPAddress", "127.0.0.1",
            "--WsRooms:Clustering", "AzureStorage",
            "--WsRooms:GrainStorage", "AzureTable",
            "--WsRooms:Azure:ConnectionString", Azurite.ConnectionString,
            // Test membership timings, so a killed silo is declared dead within seconds; production keeps Orleans' defaults.
            "--WsRooms:Membership:ProbeTimeout", "00:00:02",
            "--WsRooms:Membership:NumMissedProbesLimit", "3",
            // A delivery in flight through the dead silo's gateway is retried after this (Orleans' default: 30 s).
            "--WsRooms:Messaging:ResponseTimeout", "00:00:03",
            // Likewise a push to an edge routed through the dead silo's gateway (default 10 s).
            "--WsRooms:Streams:Push:DeliveryTimeout", "00:00:03",
            "--WsRooms:EdgeDirectory:SweepInterval", "00:00:00.250",
            .. _siloSettings,
        ], LogFile(silo.Name));
        _processes.Add(process);
        silo.Process = process;
        await Poll.UntilAsync(() => Task.FromResult(process.HasExited || FreePorts.Accepts(silo.GatewayPort)), StartTimeout, silo.Name + "'s gateway");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{silo.Name} exited during start. {process.Log.Tail()}");
        }
    }

    public async Task StartEdgeAsync(EdgeHandle edge)
    {
        var process = ChildProcess.Start(edge.Name, RepoPaths.BuiltDll("EdgeHost", "WsRooms.EdgeHost"),
        [
            "--contentRoot", Path.Combine(RepoPaths.Root, "src", "EdgeHost"),
            "--urls", edge.BaseUri.ToString().TrimEnd('/'),
            "--Orleans:ClusterId", _clusterId,
            "--Orleans:ServiceId", "wsrooms-reliability",
            "--WsRooms:Clustering", "AzureStorage",
            "--WsRooms:Azure:ConnectionString", Azurite.ConnectionString,
            "--WsRooms:EdgeLease:Duration", EdgeLease.ToString("c", CultureInfo.InvariantCulture),
            // The edge's side of the silos' 3 s response timeout: a frame whose grain call went to the dead silo's
            // gateway is given up after this, and the frames behind it go on (default 10 s).
            "--WsRooms:GrainCallTimeout", "00:00:03",
            "--Logging:LogLevel:Default", "Warning",
        ], LogFile(edge.Name));
        _processes.Add(process);
        edge.Process = process;
        await WaitServingAsync(edge, StartTimeout);
    }

    /// <summary>Until a WebSocket client gets root's join_ack there (503 while the edge is not ready).</summary>
    public static async Task WaitServingAsync(EdgeHandle edge, TimeSpan timeout) =>
        await Poll.UntilAsync(async () =>
        {
            if (edge.Process!.HasExited)
            {
                throw new InvalidOperationException($"{edge.Name} exited. {edge.Process.Log.Tail()}");
            }

            await using var probe = await TestClient.ConnectAsync(edge.WebSocketUri);
            return probe.Id.Length > 0;
        }, timeout, edge.Name + " to serve WebSocket clients");

    private async Task StartClientAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(Azurite.ConnectionString));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _clusterId;
                o.ServiceId = "wsrooms-reliability";
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
        });
        var host = builder.Build();
        // Started as soon as the gateways listen, the client may find no silo active in the table yet: try again.
        await Poll.UntilAsync(
            async () =>
            {
                await host.StartAsync();
                return true;
            },
            StartTimeout,
            "the test client to connect");
        _client = host;
    }

    /// <summary>Each process's last lines, for a failed test's output.</summary>
    public void DumpLogs()
    {
        foreach (var process in _processes)
        {
            _output.WriteLine(process.Log.Tail(25));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
            }
            catch (Exception)
            {
                // The cluster may be gone already; the client is discarded either way.
            }

            _client.Dispose();
        }

        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Azurite.DisposeAsync();
    }

    /// <summary>TestResults/reliability/CLUSTER-NAME.log: every line a process wrote, for a failed run.</summary>
    private string LogFile(string name) =>
        Path.Combine(RepoPaths.Root, "TestResults", "reliability", $"{_clusterId}-{name}-{DateTime.UtcNow:HHmmss}.log");

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}

public sealed class SiloHandle(string name, int siloPort, int gatewayPort)
{
    public string Name { get; } = name;

    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    public ChildProcess? Process { get; set; }
}

public sealed class EdgeHandle(string name, int port)
{
    public string Name { get; } = name;

    public Uri BaseUri { get; } = new($"http://127.0.0.1:{port}/");

    public Uri WebSocketUri { get; } = new($"ws://127.0.0.1:{port}/ws");

    public ChildProcess? Process { get; set; }
}
