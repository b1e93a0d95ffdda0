using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using WsRooms.Edge.Delivery;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Silo.Health;

namespace WsRooms.EndToEnd.Tests;

/// <summary>/healthz and /readyz on edge hosts and silos.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class HealthTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task AnEdgeIsLiveAndReadyOnceSubscribedAndNotReadyWhileDraining()
    {
        await using var edge = await fixture.StartEdgeAsync();
        using var http = new HttpClient { BaseAddress = edge.HttpUri };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);

        edge.Services.GetRequiredService<EdgeReadiness>().MarkStopping(); // what shutdown does first
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await Upgrade.StatusAsync(edge.WebSocketUri));
    }

    [Fact]
    public async Task EverySiloIsLiveAndReadyAndServesItsMetrics()
    {
        using var http = new HttpClient();
        foreach (var silo in fixture.Cluster.Silos.Cast<InProcessSiloHandle>())
        {
            var address = silo.SiloHost.Services.GetRequiredService<SiloHealthServer>().Address;
            Assert.NotNull(address);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(address, "/healthz"))).StatusCode);
            var ready = await http.GetAsync(new Uri(address, "/readyz"));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var metrics = await http.GetStringAsync(new Uri(address, "/metrics"));
            Assert.Contains("wsrooms_", metrics);
        }
    }
}
