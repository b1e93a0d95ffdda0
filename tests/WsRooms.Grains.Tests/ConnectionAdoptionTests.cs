using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// A connection grain that is asked about a connection it has never heard of (edge hosts open none on connect)
/// adopts it from the edge host its id names, through that edge's <see cref="IEdgeConnectionLookup"/>, and otherwise
/// answers as for any unknown connection.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConnectionAdoptionTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private IGrainFactory Grains => fixture.Grains;

    private IEdgeDirectoryGrain Directory => Grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key);

    [Fact]
    public async Task AGrainAdoptsAConnectionFromTheEdgeItsIdNamesOnce()
    {
        await using var edge = await RegisteredEdge.StartAsync(fixture);
        var id = edge.Open(new Dictionary<string, string> { ["sub"] = "alice" });

        Assert.True(await Grains.GetConnection(id).SendAsync(Message.FromText(EventNames.RootRoom, "notice", id, "", "hello")));
        var delivered = await edge.Deliveries.WaitForConnectionEventAsync(id, EventNames.RootRoom, "notice");
        Assert.Equal("hello", delivered.Message.PayloadText);

        var info = await Grains.GetConnection(id).GetInfoAsync();
        Assert.NotNull(info);
        Assert.Equal(edge.Deliveries.Id, info.EdgeId);
        Assert.Equal("alice", info.Claims["sub"]);

        var room = TestNames.Room();
        Assert.True(await Grains.GetConnection(id).JoinAsync(room));
        await edge.Deliveries.WaitForConnectionEventAsync(id, room, EventNames.JoinAck);
        Assert.Equal([id], await Grains.GetRoom(room).GetMembersAsync());

        // Asked once: from then on the grain is open, as if the edge had opened it.
        Assert.Equal(1, edge.Lookup.Asked(id));
        await Grains.GetConnection(id).CloseAsync();
        Assert.Empty(await Grains.GetRoom(room).GetMembersAsync());
    }

    [Fact]
    public async Task AConnectionItsEdgeDoesNotHoldStaysUnknownAndGetsNothing()
    {
        await using var edge = await RegisteredEdge.StartAsync(fixture);
        var known = edge.Open(new Dictionary<string, string>());
        var closed = ConnectionIds.Create(edge.Tag); // never open there (or long closed)

        Assert.False(await Grains.GetConnection(closed).SendAsync(Message.FromText(EventNames.RootRoom, "lost", closed, "", "")));
        Assert.Null(await Grains.GetConnection(closed).GetInfoAsync());
        Assert.False(await Grains.GetConnection(closed).JoinAsync(TestNames.Room()));
        Assert.False(await Grains.GetConnection(closed).LeaveAsync(TestNames.Room()));
        Assert.True(edge.Lookup.Asked(closed) >= 1);

        // A marker through the same edge: nothing for the unknown connection came before it.
        Assert.True(await Grains.GetConnection(known).SendAsync(Message.FromText(EventNames.RootRoom, "marker", known, "", "")));
        var marker = await edge.Deliveries.WaitForConnectionEventAsync(known, EventNames.RootRoom, "marker");
        Assert.DoesNotContain(edge.Deliveries.Before(marker), d => d.Connection == closed);
    }

    [Fact]
    public async Task IdsWithoutATagOrWithATagNoLiveEdgeHoldsAreUnknownWithoutAsking()
    {
        Assert.False(await Grains.GetConnection(Guid.NewGuid().ToString()).SendAsync(Message.FromText(EventNames.RootRoom, "e", "x", "", "")));
        Assert.Null(await Grains.GetConnection(ConnectionIds.Create(ConnectionIds.NewEdgeTag())).GetInfoAsync());
    }

    [Fact]
    public async Task AfterAnEdgeReleasesItsLeaseItsIdsStopResolving()
    {
        var edge = await RegisteredEdge.StartAsync(fixture);
        var id = edge.Open(new Dictionary<string, string>());
        Assert.NotNull(await Directory.ResolveAsync(edge.Tag));
        Assert.NotNull(await Grains.GetConnection(id).GetInfoAsync());

        await edge.DisposeAsync(); // drains, then releases the lease: the directory forgets the tag at once
        Assert.Null(await Directory.ResolveAsync(edge.Tag));

        // The silos within their route cache time (2 s). The lookup here would still answer for new connections,
        // so fresh ones show when the silos stop asking it: ten at a time, so that both silos are asked.
        await Poll.UntilAsync(
            async () =>
            {
                var fresh = Enumerable.Range(0, 10).Select(_ => edge.Open(new Dictionary<string, string>())).ToArray();
                var infos = await Task.WhenAll(fresh.Select(c => Grains.GetConnection(c).GetInfoAsync()));
                return infos.All(i => i is null);
            },
            TimeSpan.FromSeconds(20),
            "the silos to stop resolving the released edge's tag");
        await Poll.UntilAsync(
            async () => await Grains.GetConnection(id).GetInfoAsync() is null,
            TimeSpan.FromSeconds(20),
            "the released edge's adopted connection to be closed by its expiry");
    }

    [Fact]
    public async Task ASiloRemembersARouteForItsCacheTimeAndThenAsksAgain()
    {
        var routes = fixture.SiloServices.GetRequiredService<Connections.EdgeRoutes>();
        var edge = await RegisteredEdge.StartAsync(fixture);
        var remembered = Stopwatch.StartNew();
        Assert.Equal(edge.Deliveries.Id, (await routes.ResolveAsync(edge.Tag))?.EdgeId);

        await edge.DisposeAsync();
        Assert.Null(await Directory.ResolveAsync(edge.Tag));
        var stillKnown = (await routes.ResolveAsync(edge.Tag))?.EdgeId;
        if (remembered.Elapsed < Connections.EdgeRoutes.TimeToLive)
        {
            Assert.Equal(edge.Deliveries.Id, stillKnown); // inside the cache time: not asked again
        }

        await Poll.UntilAsync(async () => await routes.ResolveAsync(edge.Tag) is null, TimeSpan.FromSeconds(20), "the cached route to expire");
        Assert.True(remembered.Elapsed >= Connections.EdgeRoutes.TimeToLive, $"forgotten after {remembered.Elapsed}");

        // A route whose edge did not answer is forgotten at once.
        await using var other = await RegisteredEdge.StartAsync(fixture);
        Assert.NotNull(await routes.ResolveAsync(other.Tag));
        routes.Forget(other.Tag);
        await other.DisposeAsync();
        Assert.Null(await routes.ResolveAsync(other.Tag));
    }

    [Fact]
    public async Task AnEdgeThatDoesNotAnswerLeavesTheConnectionUnknownAfterTheLookupTimeout()
    {
        await using var edge = await RegisteredEdge.StartAsync(fixture);
        var id = edge.Open(new Dictionary<string, string>());
        edge.Lookup.Delay = TimeSpan.FromSeconds(4); // longer than the grain's 3-s lookup timeout

        var watch = Stopwatch.StartNew();
        Assert.Null(await Grains.GetConnection(id).GetInfoAsync());
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(3.9));

        // Answering again, the edge is asked again (the silo forgot the route that failed) and the connection is
        // found. Orleans runs an observer's calls one at a time, so this one waits for the slow one to end.
        edge.Lookup.Delay = TimeSpan.Zero;
        Assert.NotNull(await Grains.GetConnection(id).GetInfoAsync());
        Assert.Equal(2, edge.Lookup.Asked(id));
    }

    [Fact]
    public async Task TheDirectoryRefusesARenewalWithoutATagOrLookup()
    {
        var lookup = Grains.CreateObjectReference<IEdgeConnectionLookup>(new TestLookup());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Directory.RenewAsync($"edge-{Guid.NewGuid():N}", "i", Lease, 0, lookup));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Directory.RenewAsync($"edge-{Guid.NewGuid():N}", "i", Lease, 5, null!));
    }

    /// <summary>A fake edge host with a lease, a tag and a lookup, as a real edge registers them.</summary>
    private sealed class RegisteredEdge : IAsyncDisposable
    {
        private readonly IGrainFactory _grains;
        private readonly string _instance = Guid.NewGuid().ToString("N");
        private bool _released;

        private RegisteredEdge(IGrainFactory grains, FakeEdge deliveries)
        {
            _grains = grains;
            Deliveries = deliveries;
        }

        public FakeEdge Deliveries { get; }

        public TestLookup Lookup { get; } = new();

        public long Tag { get; } = ConnectionIds.NewEdgeTag();

        public static async Task<RegisteredEdge> StartAsync(ClusterFixture fixture)
        {
            var edge = new RegisteredEdge(fixture.Grains, await fixture.NewEdgeAsync());
            var reference = fixture.Grains.CreateObjectReference<IEdgeConnectionLookup>(edge.Lookup);
            var status = await fixture.Grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key)
                .RenewAsync(edge.Deliveries.Id, edge._instance, Lease, edge.Tag, reference);
            Assert.Equal(EdgeLeaseStatus.Registered, status);
            return edge;
        }

        /// <summary>A connection open on this edge: what its lookup answers for.</summary>
        public string Open(IReadOnlyDictionary<string, string> claims)
        {
            var id = ConnectionIds.Create(Tag);
            Lookup.Connections[id] = claims;
            return id;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_released)
            {
                // As a real edge host stops: its sockets are closed (drained) before it gives up the lease.
                _released = true;
                Lookup.Connections.Clear();
                await _grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).ReleaseAsync(Deliveries.Id, _instance);
                await Deliveries.DisposeAsync();
            }
        }
    }

    private sealed class TestLookup : IEdgeConnectionLookup
    {
        private readonly ConcurrentDictionary<string, int> _asked = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> Connections { get; } = new(StringComparer.Ordinal);

        public TimeSpan Delay { get; set; }

        public int Asked(string id) => _asked.GetValueOrDefault(id);

        public async Task<IReadOnlyDictionary<string, string>?> AdoptAsync(string connectionId)
        {
            _asked.AddOrUpdate(connectionId, 1, (_, n) => n + 1);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay); // an edge host too busy or too far away to answer in time
            }

            return Connections.TryGetValue(connectionId, out var claims) ? claims : null;
        }
    }
}
