using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.Grains.Hosting;
using WsRooms.Silo.Health;
using WsRooms.Streaming;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One Orleans test cluster of two silos, reachable over real loopback TCP, and two edge hosts connected to it. Shared
/// by every test in the collection: clusters are slow to start, and tests use their own room names.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public EdgeServer EdgeA { get; private set; } = null!;

    public EdgeServer EdgeB { get; private set; } = null!;

    /// <summary>A plain Orleans client, not an edge: what other services in the cluster use.</summary>
    public IClusterClient Client => Cluster.Client;

    public int[] GatewayPorts => Cluster.Silos.Select(s => s.GatewayAddress.Endpoint.Port).ToArray();

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        // Edge hosts are separate Orleans clients: they need the gateways on real sockets.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        EdgeA = await StartEdgeAsync();
        EdgeB = await StartEdgeAsync();
    }

    public Task<EdgeServer> StartEdgeAsync(
        Action<WsRooms.Edge.WsRoomsBuilder>? configureEdge = null,
        Action<WsRooms.Edge.WsRoomsEdgeOptions>? configureOptions = null,
        Action<Microsoft.AspNetCore.Builder.WebApplication>? configureApp = null) =>
        EdgeServer.StartAsync(Cluster.Options.ClusterId, Cluster.Options.ServiceId, GatewayPorts, configureEdge, configureOptions, configureApp);

    public async Task DisposeAsync()
    {
        if (EdgeA is not null)
        {
            await EdgeA.DisposeAsync();
        }

        if (EdgeB is not null)
        {
            await EdgeB.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddWsRooms().AddWsRoomsMemoryProviders()
            .AddWsRoomsHealthEndpoint(o => o.Port = FreePort()) // HealthTests: /healthz, /readyz, /metrics on each silo
            .AddIncomingGrainCallFilter(ConnectionGrainCalls.RecordAsync);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddPushStreams(EdgeStreams.ProviderName);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
