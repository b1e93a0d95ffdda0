using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.Grains.Hosting;
using WsRooms.Grains.Lease;
using WsRooms.Streaming;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// One two-silo cluster for every test in a collection: starting a cluster costs seconds, and two silos make room and
/// connection grains land on different silos from the edge streams' rendezvous grains. The test client plays the edge
/// hosts (see <see cref="FakeEdge"/>). The providers are the subclass's: memory, or Azure Table on Azurite.
/// </summary>
public abstract class GrainsClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The service provider of the first silo, for tests that use silo components directly.</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider((Cluster.Primary ?? Cluster.Silos[0]).SiloAddress);

    public virtual async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        Configure(builder);
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A subscribed edge host with a fresh id.</summary>
    public Task<FakeEdge> NewEdgeAsync() => FakeEdge.StartAsync(Cluster.Client);

    protected abstract void Configure(TestClusterBuilder builder);

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddPushStreams(EdgeStreams.ProviderName);
    }
}

/// <summary>Memory providers: the default, what a single machine runs.</summary>
public sealed class ClusterFixture : GrainsClusterFixture
{
    /// <summary>
    /// The silos' push-stream delivery timeout (default 10 s): deliveries to a test edge that has unsubscribed give
    /// up soon.
    /// </summary>
    public static readonly TimeSpan PushDeliveryTimeout = TimeSpan.FromSeconds(2);

    protected override void Configure(TestClusterBuilder builder) => builder.AddSiloBuilderConfigurator<SiloConfigurator>();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder
                .AddWsRooms()
                .AddWsRoomsMemoryProviders();

            // A test client takes every event in far less.
            siloBuilder.Services.Configure<PushStreamOptions>(o => o.DeliveryTimeout = PushDeliveryTimeout);
        }
    }
}

/// <summary>
/// The same grains on Azure storage, against a fresh Azurite: Azure Table clustering (the classic TestClusterBuilder
/// with the test membership off), Azure Table grain state, PubSubStore and membership rows. Streams are push
/// streams, as by default; their subscriptions live in the durable PubSubStore.
/// </summary>
public sealed class AzuriteClusterFixture : GrainsClusterFixture
{
    private const string ConnectionStringKey = "WsRoomsTests:AzureConnectionString";

    private Azurite? _azurite;

    public string ConnectionString => _azurite!.ConnectionString;

    public override async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (_azurite is not null)
            {
                await _azurite.DisposeAsync();
            }
        }
    }

    protected override void Configure(TestClusterBuilder builder)
    {
        builder.Options.UseTestClusterMembership = false;
        // Configurators are built by type, one per silo: the connection string reaches them through configuration.
        builder.Properties[ConnectionStringKey] = _azurite!.ConnectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<AzureClientConfigurator>();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
            siloBuilder
                .UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connectionString))
                .AddWsRooms()
                .AddWsRoomsPushStreams()
                .AddWsRoomsAzureTableStorage(() => new TableServiceClient(connectionString));

            // EdgeDirectoryKeepAliveTests wait for it to bring the directory back (default 30 s).
            siloBuilder.Services.Configure<EdgeDirectoryOptions>(o => o.DirectoryKeepAlive = TimeSpan.FromMilliseconds(500));
        }
    }

    private sealed class AzureClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(configuration[ConnectionStringKey]));
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

[CollectionDefinition(Name)]
public sealed class AzuriteClusterCollection : ICollectionFixture<AzuriteClusterFixture>
{
    public const string Name = "azurite cluster";
}
