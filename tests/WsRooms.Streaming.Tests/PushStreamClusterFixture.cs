using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using Orleans.TestingHost;

namespace WsRooms.Streaming.Tests;

/// <summary>
/// Two silos producing (where they publish from is the first silo's provider) and the test client subscribing, as
/// a server pushes to its clients: push streams named <see cref="ProviderName"/> on both ends, subscriptions in
/// memory storage. Two silos, so a producer's rendezvous grain is often on the other silo.
/// </summary>
public sealed class PushStreamClusterFixture : IAsyncLifetime
{
    /// <summary>The name both ends register the provider under.</summary>
    public const string ProviderName = "test.push";

    /// <summary>The silos' delivery timeout, short so that tests can wait it out (default 10 s).</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(2);

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The service provider of the first silo: what a producer in a silo uses.</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider((Cluster.Primary ?? Cluster.Silos[0]).SiloAddress);

    /// <summary>The first silo's push streams.</summary>
    public IStreamProvider SiloStreams => SiloServices.GetRequiredKeyedService<IStreamProvider>(ProviderName);

    /// <summary>The test client's push streams.</summary>
    public IStreamProvider ClientStreams => Cluster.Client.GetStreamProvider(ProviderName);

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

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddMemoryGrainStorage(PushStreams.StorageName).AddPushStreams(ProviderName);
            siloBuilder.Services.Configure<PushStreamOptions>(o => o.DeliveryTimeout = DeliveryTimeout);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.AddPushStreams(ProviderName);
    }
}

[CollectionDefinition(Name)]
public sealed class PushStreamClusterCollection : ICollectionFixture<PushStreamClusterFixture>
{
    public const string Name = "push stream cluster";
}
