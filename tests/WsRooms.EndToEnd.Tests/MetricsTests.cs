using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Edge;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Observability;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains.Observability;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>The meters WsRooms.Edge and WsRooms.Silo, read with a MeterListener as a host's exporter reads them.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class MetricsTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task TheEdgeMeterCountsConnectionsRoomsFramesBytesDropsClosesAndDeliveryLatency()
    {
        await using var edge = await fixture.StartEdgeAsync();
        using var edgeMeter = new MeterCollector("WsRooms.Edge", edge.Services.GetRequiredService<IMeterFactory>());
        using var siloMeter = new MeterCollector(SiloMeters.SiloMeterName);
        var room = TestNames.Room();

        var a = await edge.ConnectAsync();
        await using var b = await edge.ConnectAsync();
        Assert.Equal(2, edgeMeter.Sum("wsrooms.edge.connections"));

        await a.JoinAsync(room);
        await b.JoinAsync(room);
        edgeMeter.Observe();
        Assert.Equal(1, edgeMeter.Sum("wsrooms.edge.rooms"));

        await a.SendAsync(room, "chat", "hello");
        await b.WaitForAsync(m => m.Event == "chat");
        await a.SendAsync(room, EventNames.JoinAck, "forged"); // dropped: a server-only event
        await a.DisposeAsync();                                // a normal close: 1000

        await LimitTests.WaitUntilAsync(() => edgeMeter.Sum("wsrooms.edge.connections") == 1);
        Assert.Equal(1, edgeMeter.Sum("wsrooms.edge.closes", "code=1000"));
        Assert.Equal(1, edgeMeter.Sum("wsrooms.edge.drops", "reason=forged_event"));
        Assert.True(edgeMeter.Count("wsrooms.edge.frames.in") >= 4, "join, join, chat, forged");
        Assert.True(edgeMeter.Sum("wsrooms.edge.bytes.in") > 4 * 20);
        // Out: two root join_acks, two join_acks, new_member, chat, member_left at least.
        await b.WaitForAsync(m => m.Event == EventNames.MemberLeft);
        Assert.True(edgeMeter.Count("wsrooms.edge.frames.out") >= 7);
        Assert.True(edgeMeter.Sum("wsrooms.edge.bytes.out") > 7 * 20);
        Assert.True(edgeMeter.Count("wsrooms.edge.delivery.latency") >= 1, "every stream batch records its latency");
        Assert.InRange(edgeMeter.Sum("wsrooms.edge.delivery.latency") / edgeMeter.Count("wsrooms.edge.delivery.latency"), 0, 10_000);

        Assert.True(siloMeter.Sum("wsrooms.silo.joins") >= 2);
        Assert.True(siloMeter.Sum("wsrooms.silo.broadcasts") >= 1);
    }

    [Fact]
    public async Task RefusalsAndLimitsAreCountedByReason()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.Quotas.MaxRoomsPerConnection = 1);
        using var edgeMeter = new MeterCollector("WsRooms.Edge", edge.Services.GetRequiredService<IMeterFactory>());
        await using var client = await edge.ConnectAsync();
        await client.JoinAsync(TestNames.Room());
        await client.SendAsync(Message.FromText(TestNames.Room(), EventNames.Join, client.Id, client.Id, client.Id));
        await client.WaitForAsync(m => m.Event == ErrorFrames.EventName);

        Assert.Equal(1, edgeMeter.Sum("wsrooms.edge.drops", "reason=too_many_rooms"));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, await Upgrade.StatusAsync(edge.WebSocketUri, o => o.SetRequestHeader("Origin", "http://evil.example")));
        Assert.Equal(1, edgeMeter.Sum("wsrooms.edge.rejections", "reason=origin"));
    }

    /// <summary>
    /// What a host's exporter does (OpenTelemetry's <c>AddMeter</c> is a listener by meter name): the names the edge
    /// publishes for hosts carry its instruments. The edge host's Prometheus endpoint exports exactly these names.
    /// </summary>
    [Fact]
    public async Task TheMeterNamesTheEdgePublishesForHostsCarryItsInstruments()
    {
        await using var edge = await fixture.StartEdgeAsync();
        var scope = edge.Services.GetRequiredService<IMeterFactory>();
        var meters = EdgeMeters.Names.Select(name => new MeterCollector(name, scope)).ToList();
        try
        {
            await using var client = await edge.ConnectAsync();
            await client.JoinAsync(TestNames.Room());

            Assert.Equal(1, meters.Sum(m => m.Sum("wsrooms.edge.connections")));
            Assert.True(meters.Sum(m => m.Count("wsrooms.edge.frames.in")) >= 1, "the join");
        }
        finally
        {
            meters.ForEach(m => m.Dispose());
        }
    }
}
