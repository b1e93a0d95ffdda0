using Orleans.TestingHost;

namespace WsRooms.Testing;

/// <summary>
/// A TestingHost cluster of silos running WsRooms, reachable over loopback TCP, with in-process edge hosts connected
/// to it. Built with <see cref="WsRoomsTestClusterBuilder"/>; disposing it stops the edge hosts it started, the silos
/// and its Azurite. Clusters are slow to start: share one between tests, and give each test names of its own
/// (<see cref="TestNames"/>).
/// </summary>
public sealed class WsRoomsTestCluster : IAsyncDisposable
{
    private readonly Azurite? _azurite;
    private readonly Action<EdgeServerOptions>? _configureEdges;
    private readonly List<EdgeServer> _edges = [];
    private readonly bool _inMemoryTransport;

    internal WsRoomsTestCluster(TestCluster cluster, Azurite? azurite, string? azureConnectionString, Action<EdgeServerOptions>? configureEdges, bool inMemoryTransport)
    {
        _inMemoryTransport = inMemoryTransport;
        Cluster = cluster;
        _azurite = azurite;
        AzureConnectionString = azureConnectionString;
        _configureEdges = configureEdges;
    }

    /// <summary>The Orleans test cluster: its silos, to stop, kill or start more.</summary>
    public TestCluster Cluster { get; }

    /// <summary>A plain Orleans client of the cluster, not an edge: what other services in the cluster use.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>The cluster client's grain factory.</summary>
    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The edge hosts started with the cluster (<see cref="WsRoomsTestClusterBuilder.WithEdges"/>).</summary>
    public IReadOnlyList<EdgeServer> Edges => _edges;

    /// <summary>The Azure storage connection string, or null with memory storage.</summary>
    public string? AzureConnectionString { get; }

    /// <summary>The gateway ports of the silos running now.</summary>
    public IReadOnlyList<int> GatewayPorts => [.. Cluster.Silos.Select(s => s.GatewayAddress.Endpoint.Port)];

    /// <summary>The services of the first silo, for tests that use silo components directly.</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider((Cluster.Primary ?? Cluster.Silos[0]).SiloAddress);

    /// <summary>
    /// Starts another edge host connected to the cluster: the cluster's edge configuration first, then
    /// <paramref name="configure"/>. The caller disposes it.
    /// </summary>
    public Task<EdgeServer> StartEdgeAsync(Action<EdgeServerOptions>? configure = null)
    {
        if (_inMemoryTransport)
        {
            throw new InvalidOperationException("This cluster was built with UseInMemoryTransport: an edge host cannot reach its gateways.");
        }

        var options = new EdgeServerOptions
        {
            ClusterId = Cluster.Options.ClusterId,
            ServiceId = Cluster.Options.ServiceId,
            GatewayPorts = GatewayPorts,
        };
        _configureEdges?.Invoke(options);
        configure?.Invoke(options);
        return EdgeServer.StartAsync(options);
    }

    /// <summary>Stops the edge hosts the cluster started, then every silo, then Azurite.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var edge in _edges)
            {
                await edge.DisposeAsync();
            }

            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
        finally
        {
            if (_azurite is not null)
            {
                await _azurite.DisposeAsync();
            }
        }
    }

    internal async Task DeployAsync(int edges)
    {
        await Cluster.DeployAsync();
        for (var i = 0; i < edges; i++)
        {
            _edges.Add(await StartEdgeAsync());
        }
    }
}
