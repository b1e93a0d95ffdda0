using Orleans.TestingHost;

namespace WsRooms.Testing;

/// <summary>
/// Describes a <see cref="WsRoomsTestCluster"/>: how many silos and edge hosts, which storage, and what the test adds
/// to them. Silos are configured by type (TestingHost builds one configurator per silo, so a configurator cannot
/// capture state); settings reach them through configuration (<see cref="WithSetting"/>).
/// </summary>
public sealed class WsRoomsTestClusterBuilder
{
    private readonly List<Action<TestClusterBuilder>> _configurators = [];
    private readonly Dictionary<string, string> _settings = new(StringComparer.OrdinalIgnoreCase);
    private Action<EdgeServerOptions>? _configureEdges;
    private int _silos = 2;
    private int _edges;
    private WsRoomsTestStorage _storage = WsRoomsTestStorage.Memory;
    private string? _azureConnectionString;
    private bool _inMemoryTransport;

    /// <summary>
    /// Starts <paramref name="count"/> silos. Default 2: grains then land on different silos from their callers, as
    /// they do in production.
    /// </summary>
    public WsRoomsTestClusterBuilder WithSilos(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _silos = count;
        return this;
    }

    /// <summary>Starts <paramref name="count"/> in-process edge hosts with the cluster (default none); more can be started later.</summary>
    public WsRoomsTestClusterBuilder WithEdges(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _edges = count;
        return this;
    }

    /// <summary>
    /// Keeps everything in Azure Table storage: clustering, grain state, stream subscriptions and rows. With no
    /// <paramref name="connectionString"/> the cluster starts an <see cref="Azurite"/> of its own.
    /// </summary>
    public WsRoomsTestClusterBuilder UseAzureTableStorage(string? connectionString = null)
    {
        _storage = WsRoomsTestStorage.AzureTable;
        _azureConnectionString = connectionString;
        return this;
    }

    /// <summary>
    /// Connects the silos and the cluster client in memory instead of over loopback TCP: quicker, for tests that start
    /// no edge host (an edge host is a separate Orleans client and needs real gateways).
    /// </summary>
    public WsRoomsTestClusterBuilder UseInMemoryTransport()
    {
        _inMemoryTransport = true;
        return this;
    }

    /// <summary>
    /// Sets a configuration value on every silo and on the cluster client, e.g.
    /// <c>WithSetting("WsRooms:Streams:Push:DeliveryTimeout", "00:00:02")</c>.
    /// </summary>
    public WsRoomsTestClusterBuilder WithSetting(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _settings[key] = value;
        return this;
    }

    /// <summary>Adds a silo configurator, run on every silo after WsRooms and its providers are added.</summary>
    public WsRoomsTestClusterBuilder AddSiloConfigurator<T>()
        where T : ISiloConfigurator, new()
    {
        _configurators.Add(static b => b.AddSiloBuilderConfigurator<T>());
        return this;
    }

    /// <summary>Adds a configurator of the cluster client (<see cref="WsRoomsTestCluster.Client"/>).</summary>
    public WsRoomsTestClusterBuilder AddClientConfigurator<T>()
        where T : IClientBuilderConfigurator, new()
    {
        _configurators.Add(static b => b.AddClientBuilderConfigurator<T>());
        return this;
    }

    /// <summary>Changes every edge host the cluster starts, before the per-call changes of <see cref="WsRoomsTestCluster.StartEdgeAsync"/>.</summary>
    public WsRoomsTestClusterBuilder ConfigureEdges(Action<EdgeServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configureEdges += configure;
        return this;
    }

    /// <summary>Starts the silos (and Azurite, if needed), then the edge hosts; disposes what it started if any step fails.</summary>
    public async Task<WsRoomsTestCluster> StartAsync()
    {
        if (_inMemoryTransport && _edges > 0)
        {
            throw new InvalidOperationException("Edge hosts connect to the silos over TCP: WithEdges cannot be combined with UseInMemoryTransport.");
        }

        Azurite? azurite = null;
        var connectionString = _azureConnectionString;
        if (_storage == WsRoomsTestStorage.AzureTable && connectionString is null)
        {
            azurite = await Azurite.StartAsync();
            connectionString = azurite.ConnectionString;
        }

        var builder = new TestClusterBuilder((short)_silos);
        // Edge hosts are separate Orleans clients: they need the gateways on real sockets.
        builder.Options.ConnectionTransport = _inMemoryTransport ? ConnectionTransportType.InMemory : ConnectionTransportType.TcpSocket;
        builder.Properties[WsRoomsTestSiloConfigurator.StorageKey] = _storage.ToString();
        if (_storage == WsRoomsTestStorage.AzureTable)
        {
            // Membership lives in the table, as in production, instead of the test cluster's in-memory one.
            builder.Options.UseTestClusterMembership = false;
            builder.Properties[WsRoomsTestSiloConfigurator.AzureConnectionStringKey] = connectionString!;
        }

        foreach (var (key, value) in _settings)
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<WsRoomsTestSiloConfigurator>();
        builder.AddClientBuilderConfigurator<WsRoomsTestClientConfigurator>();
        foreach (var configure in _configurators)
        {
            configure(builder);
        }

        var cluster = new WsRoomsTestCluster(builder.Build(), azurite, connectionString, _configureEdges, _inMemoryTransport);
        try
        {
            await cluster.DeployAsync(_edges);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }
}
