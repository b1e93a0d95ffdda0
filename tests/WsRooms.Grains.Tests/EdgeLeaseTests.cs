using System.Diagnostics;
using WsRooms.Protocol;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Grains.Tests;

/// <summary>
/// The edge-host lease at the grain level: an edge that stops renewing (it died) has its connections closed in the
/// cluster, so they leave their rooms and the other members are told; a release does it at once.
/// </summary>
public abstract class EdgeLeaseTests(GrainsClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(20);

    private IGrainFactory Grains => fixture.Grains;

    private IEdgeDirectoryGrain Directory => Grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key);

    [Fact]
    public async Task ConnectionsOfAnEdgeWhoseLeaseLapsesLeaveEveryRoomAndTheOthersAreTold()
    {
        await using var dying = await fixture.NewEdgeAsync();
        await using var living = await fixture.NewEdgeAsync();
        Assert.Equal(EdgeLeaseStatus.Registered, await dying.RenewLeaseAsync("first", ShortLease));
        await Grains.GetRoom(EventNames.RootRoom).AttachEdgeAsync(dying.Id);
        var room1 = TestNames.Room();
        var room2 = TestNames.Room();
        var gone = await dying.OpenConnectionAsync();
        var stays = await living.OpenConnectionAsync();
        foreach (var room in new[] { room1, room2 })
        {
            await Grains.GetConnection(stays).JoinAsync(room);
            await Grains.GetConnection(gone).JoinAsync(room);
        }

        // No more renewals from here: the edge "died".
        var watch = Stopwatch.StartNew();
        await living.WaitForAsync(d => d.Message.Room == room1 && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == gone, TimeSpan.FromSeconds(20));
        await living.WaitForAsync(d => d.Message.Room == room2 && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == gone, TimeSpan.FromSeconds(20));
        output.WriteLine($"{GetType().Name}: lease {ShortLease.TotalSeconds} s; member_left reached the other edge {watch.Elapsed.TotalSeconds:F2} s after the last renewal");

        Assert.Equal([stays], await Grains.GetRoom(room1).GetMembersAsync());
        Assert.Equal([stays], await Grains.GetRoom(room2).GetMembersAsync());
        Assert.Null(await Grains.GetConnection(gone).GetInfoAsync());
        Assert.NotNull(await Grains.GetConnection(stays).GetInfoAsync());
        await Poll.UntilAsync(async () => !(await Directory.GetLiveEdgesAsync()).Contains(dying.Id), PollTimeout, "the dying edge to leave the directory");

        // Root no longer fans out to the dead edge: a root publish reaches nobody there.
        await Grains.GetRoom(EventNames.RootRoom).AttachEdgeAsync(living.Id);
        await Grains.GetRoom(EventNames.RootRoom).PublishAsync("after-expiry", [1]);
        await living.WaitForRoomEventAsync(EventNames.RootRoom, "after-expiry");
        Assert.DoesNotContain(dying.Received, d => d.Message.Event == "after-expiry");
        await Grains.GetRoom(EventNames.RootRoom).DetachEdgeAsync(living.Id);

        // Had the edge only been cut off, its next renewal learns the lease was lost (it then drops its sockets).
        Assert.Equal(EdgeLeaseStatus.Registered, await dying.RenewLeaseAsync("first", ShortLease));
        await Directory.ReleaseAsync(dying.Id, "first");
    }

    [Fact]
    public async Task ALiveEdgeKeepsItsConnectionsAndAReleaseClosesThemAtOnce()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var other = await fixture.NewEdgeAsync();
        var lease = TimeSpan.FromMilliseconds(1500);
        Assert.Equal(EdgeLeaseStatus.Registered, await edge.RenewLeaseAsync("i", lease));
        var room = TestNames.Room();
        var member = await edge.OpenConnectionAsync();
        var watcher = await other.OpenConnectionAsync();
        await Grains.GetConnection(watcher).JoinAsync(room);
        await Grains.GetConnection(member).JoinAsync(room);

        // Renewed well within the lease for three leases' time: nothing is closed.
        var until = Stopwatch.StartNew();
        while (until.Elapsed < lease * 3)
        {
            Assert.Equal(EdgeLeaseStatus.Renewed, await edge.RenewLeaseAsync("i", lease));
            await Task.Delay(lease / 5);
        }

        Assert.Equal(2, (await Grains.GetRoom(room).GetMembersAsync()).Count);

        var watch = Stopwatch.StartNew();
        await Directory.ReleaseAsync(edge.Id, "i");
        await other.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == member);
        output.WriteLine($"{GetType().Name}: after a release, member_left came in {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal([watcher], await Grains.GetRoom(room).GetMembersAsync());
    }

    [Fact]
    public async Task ANewInstanceUnderTheSameEdgeIdWaitsUntilThePreviousOnesConnectionsAreClosed()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var other = await fixture.NewEdgeAsync();
        Assert.Equal(EdgeLeaseStatus.Registered, await edge.RenewLeaseAsync("old", TimeSpan.FromMinutes(5)));
        var room = TestNames.Room();
        var old = await edge.OpenConnectionAsync();
        var watcher = await other.OpenConnectionAsync();
        await Grains.GetConnection(watcher).JoinAsync(room);
        await Grains.GetConnection(old).JoinAsync(room);

        // The restarted process (same configured id, new instance) is held back until its predecessor is cleaned up.
        Assert.Equal(EdgeLeaseStatus.Expiring, await edge.RenewLeaseAsync("new", TimeSpan.FromMinutes(5)));
        await other.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == old);
        EdgeLeaseStatus status = default;
        await Poll.UntilAsync(async () => (status = await edge.RenewLeaseAsync("new", TimeSpan.FromMinutes(5))) != EdgeLeaseStatus.Expiring, PollTimeout, "the expiry to finish");
        Assert.Equal(EdgeLeaseStatus.Registered, status);
        Assert.Equal([watcher], await Grains.GetRoom(room).GetMembersAsync());
        await Directory.ReleaseAsync(edge.Id, "new");
    }
}

[Collection(ClusterCollection.Name)]
public sealed class MemoryEdgeLeaseTests(ClusterFixture fixture, ITestOutputHelper output) : EdgeLeaseTests(fixture, output);

[Collection(AzuriteClusterCollection.Name)]
public sealed class AzureTableEdgeLeaseTests(AzuriteClusterFixture fixture, ITestOutputHelper output) : EdgeLeaseTests(fixture, output);
