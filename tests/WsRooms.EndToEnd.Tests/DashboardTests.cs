using System.Net;
using Orleans.Dashboard;
using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains.Hosting;
using WsRooms.Streaming;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// The Orleans Dashboard option (<c>WsRooms:Dashboard:Enabled</c>): silos collect, an edge host serves the UI at
/// <c>/dashboard</c>. A cluster of its own, so the other tests do not pay for the dashboard's call statistics.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task AnEdgeHostWithTheOptionServesTheDashboardOfTheCluster()
    {
        await using var edge = await EdgeServer.StartAsync(
            _cluster.Options.ClusterId,
            _cluster.Options.ServiceId,
            _cluster.Silos.Select(s => s.GatewayAddress.Endpoint.Port).ToArray(),
            configureApp: app => app.MapOrleansDashboard("/dashboard"),
            configureClient: client => client.AddDashboard());

        // The edge still serves WebSockets next to it.
        await using var client = await edge.ConnectAsync();

        using var http = new HttpClient { BaseAddress = edge.HttpUri };
        var page = await http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // Its data comes from the silos' dashboard grains through the edge's Orleans client.
        // The silos report on a timer, so the first answers may list no host yet: ask until one does, bounded.
        var siloPort = _cluster.Silos[0].SiloAddress.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string counters;
        do
        {
            var response = await http.GetAsync("/dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            counters = await response.Content.ReadAsStringAsync();
            if (counters.Contains(siloPort, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (true);

        Assert.Contains(siloPort, counters, StringComparison.Ordinal);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddWsRooms().AddWsRoomsMemoryProviders().AddDashboard();
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddPushStreams(EdgeStreams.ProviderName);
    }
}
