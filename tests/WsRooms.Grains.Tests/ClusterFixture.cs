using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.Hosting;

namespace WsRooms.Grains.Tests;

/// <summary>
/// One two-silo cluster for every test in <see cref="ClusterCollection"/>: starting a cluster costs seconds, and
/// two silos make room and connection grains land on different silos from the edge streams' pulling agents.
/// The test client plays the edge hosts (see <see cref="FakeEdge"/>).
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A subscribed edge host with a fresh id.</summary>
    public Task<FakeEdge> NewEdgeAsync() => FakeEdge.StartAsync(Cluster.Client);

    /// <summary>The service provider of the first silo, for tests that use silo components directly.</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider(Cluster.Primary!.SiloAddress);

    /// <summary>
    /// A second memory stream provider whose queues are (practically) never read: its pulling agents wait a day
    /// between reads, so a test can fill a queue to the memory stream's limit and watch publishers get refused.
    /// </summary>
    public const string StalledStreamProvider = "stalled";

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder
            .AddWsRooms()
            .AddWsRoomsMemoryProviders()
            .AddMemoryStreams(StalledStreamProvider, b => b.ConfigurePullingAgent(ob => ob.Configure(o => o.GetQueueMsgsTimerPeriod = TimeSpan.FromDays(1))));
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddMemoryStreams(EdgeStreams.ProviderName);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
