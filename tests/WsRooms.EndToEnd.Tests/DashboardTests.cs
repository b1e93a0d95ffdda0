using System.Net;
using Orleans.Dashboard;
using Orleans.TestingHost;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains.Hosting;
using WsRooms.Streaming;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// The Orleans Dashboard option (<c>WsRooms:Dashboard:Enabled</c>): silos collect, an edge host serves the UI at
/// <c>/dashboard</c>. A cluster of its own, so the other tests do not pay for the dashboard's call statistics.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private WsRoomsTestCluster? _cluster;

    private WsRoomsTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public async Task InitializeAsync() =>
        _cluster = await new WsRoomsTestClusterBuilder().WithSilos(1).AddSiloConfigurator<DashboardSiloConfigurator>().StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnEdgeHostWithTheOptionServesTheDashboardOfTheCluster()
    {
        await using var edge = await Cluster.StartEdgeAsync(o =>
        {
            o.ConfigureApp += app => app.MapOrleansDashboard("/dashboard");
            o.ConfigureClient += client => client.AddDashboard();
        });

        // The edge still serves WebSockets next to it.
        await using var client = await edge.ConnectAsync();

        using var http = new HttpClient { BaseAddress = edge.HttpUri };
        var page = await http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // Its data comes from the silos' dashboard grains through the edge's Orleans client.
        // The silos report on a timer, so the first answers may list no host yet: ask until one does, bounded.
        var siloPort = Cluster.Cluster.Silos[0].SiloAddress.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
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

    private sealed class DashboardSiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddDashboard();
    }
}
