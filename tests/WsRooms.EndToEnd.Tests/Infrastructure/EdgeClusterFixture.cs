using Microsoft.AspNetCore.Builder;
using Orleans.TestingHost;
using WsRooms.Edge;
using WsRooms.Silo.Health;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One <see cref="WsRoomsTestCluster"/> of two silos and two edge hosts, shared by every test in the collection:
/// clusters are slow to start, and tests use their own room names. Every edge host here also answers the "echo" event.
/// </summary>
public sealed class EdgeClusterFixture : IAsyncLifetime
{
    private WsRoomsTestCluster? _cluster;

    public WsRoomsTestCluster WsRoomsCluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public TestCluster Cluster => WsRoomsCluster.Cluster;

    public EdgeServer EdgeA => WsRoomsCluster.Edges[0];

    public EdgeServer EdgeB => WsRoomsCluster.Edges[1];

    /// <summary>A plain Orleans client, not an edge: what other services in the cluster use.</summary>
    public IClusterClient Client => WsRoomsCluster.Client;

    public async Task InitializeAsync() =>
        _cluster = await new WsRoomsTestClusterBuilder()
            .WithSilos(2)
            .WithEdges(2)
            .AddSiloConfigurator<HealthAndCallRecordingConfigurator>()
            .ConfigureEdges(o => o.ConfigureEdge += AddEcho)
            .StartAsync();

    /// <summary>Another edge host on the cluster, changed as the test says; the test disposes it.</summary>
    public Task<EdgeServer> StartEdgeAsync(
        Action<WsRoomsBuilder>? configureEdge = null,
        Action<WsRoomsEdgeOptions>? configureOptions = null,
        Action<WebApplication>? configureApp = null,
        Action<WebApplicationBuilder>? configureHost = null) =>
        WsRoomsCluster.StartEdgeAsync(o =>
        {
            o.ConfigureEdge += configureEdge;
            o.ConfigureOptions += configureOptions;
            o.ConfigureApp += configureApp;
            o.ConfigureHost += configureHost;
        });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Answers "echo" to its sender as "echoed": a round trip through one edge host only.</summary>
    public static void AddEcho(WsRoomsBuilder edge) =>
        edge.AddHandler("echo", static (connection, message, _) =>
        {
            connection.TrySend(message with { Event = "echoed", Dst = connection.Id, Src = "" });
            return ValueTask.CompletedTask;
        });

    private sealed class HealthAndCallRecordingConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder
            .AddWsRoomsHealthEndpoint(o => o.Port = FreePorts.One()) // HealthTests: /healthz, /readyz, /metrics on each silo
            .AddIncomingGrainCallFilter(ConnectionGrainCalls.RecordAsync);
    }
}

[CollectionDefinition(Name)]
public sealed class EdgeClusterCollection : ICollectionFixture<EdgeClusterFixture>
{
    public const string Name = "edge cluster";
}
