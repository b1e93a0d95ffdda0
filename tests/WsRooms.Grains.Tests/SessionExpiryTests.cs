using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// A cluster whose sessions wait only <see cref="GracePeriod"/> once suspended, so a test can watch one expire.
/// </summary>
public sealed class ShortGraceClusterFixture : GrainsClusterFixture
{
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(1);

    protected override WsRoomsTestClusterBuilder Configure(WsRoomsTestClusterBuilder builder) =>
        builder.WithSetting("WsRooms:Sessions:GracePeriod", GracePeriod.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
}

[CollectionDefinition(Name)]
public sealed class ShortGraceClusterCollection : ICollectionFixture<ShortGraceClusterFixture>
{
    public const string Name = "short grace cluster";
}

/// <summary>A suspended session not resumed within its grace period ends as a v1 close does.</summary>
[Collection(ShortGraceClusterCollection.Name)]
public sealed class SessionExpiryTests(ShortGraceClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task ASessionNotResumedWithinItsGraceLeavesEveryRoomAndItsTokenIsDead()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room1 = TestNames.Room();
        var room2 = TestNames.Room();
        var watcher = TestNames.Connection();
        await Grains.GetConnection(watcher).OpenAsync(watcherEdge.Id, new Dictionary<string, string>());
        await Grains.GetConnection(watcher).JoinAsync(room1);
        await Grains.GetConnection(watcher).JoinAsync(room2);
        var id = TestNames.Connection();
        var start = await Grains.GetConnection(id).OpenSessionAsync(edge.Id, new Dictionary<string, string>(), "alice");
        Assert.Equal(ShortGraceClusterFixture.GracePeriod, start.GracePeriod);
        await Grains.GetConnection(id).JoinAsync(room1);
        await Grains.GetConnection(id).JoinAsync(room2);

        Assert.True(await Grains.GetConnection(id).SuspendAsync(start.Attachment));

        foreach (var room in new[] { room1, room2 })
        {
            await watcherEdge.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == id, Timeout);
            Assert.Equal([watcher], await Grains.GetRoom(room).GetMembersAsync());
        }

        Assert.Null(await Grains.GetConnection(id).GetInfoAsync());
        Assert.Equal(ResumeOutcome.UnknownToken, (await Grains.ResumeSessionAsync(start.Token, "alice", edge.Id, null)).Outcome);
    }

    [Fact]
    public async Task AResumeWithinTheGraceStopsTheExpiry()
    {
        await using var edgeA = await fixture.NewEdgeAsync();
        await using var edgeB = await fixture.NewEdgeAsync();
        await using var watcherEdge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var watcher = TestNames.Connection();
        await Grains.GetConnection(watcher).OpenAsync(watcherEdge.Id, new Dictionary<string, string>());
        await Grains.GetConnection(watcher).JoinAsync(room);
        var id = TestNames.Connection();
        var start = await Grains.GetConnection(id).OpenSessionAsync(edgeA.Id, new Dictionary<string, string>(), "alice");
        await Grains.GetConnection(id).JoinAsync(room);

        // Suspended and resumed twice, each within the grace: neither timer may end the session.
        await Grains.GetConnection(id).SuspendAsync(start.Attachment);
        var resumed = await Grains.ResumeSessionAsync(start.Token, "alice", edgeB.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, resumed.Outcome);
        await Grains.GetConnection(id).SuspendAsync(resumed.Session!.Attachment);
        var again = await Grains.ResumeSessionAsync(resumed.Session.Token, "alice", edgeA.Id, null);
        Assert.Equal(ResumeOutcome.Resumed, again.Outcome);

        // The marker: a session suspended after both, which expires after both timers would have fired.
        var later = TestNames.Connection();
        var laterStart = await Grains.GetConnection(later).OpenSessionAsync(edgeB.Id, new Dictionary<string, string>(), "bob");
        await Grains.GetConnection(later).JoinAsync(room);
        await Grains.GetConnection(later).SuspendAsync(laterStart.Attachment);
        var marker = await watcherEdge.WaitForAsync(d => d.Message.Room == room && d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == later, Timeout);

        Assert.DoesNotContain(watcherEdge.Before(marker), d => d.Message.Event == EventNames.MemberLeft && d.Message.PayloadText == id);
        Assert.Equal(new[] { id, watcher }.Order(StringComparer.Ordinal), (await Grains.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(edgeA.Id, (await Grains.GetConnection(id).GetInfoAsync())!.EdgeId);
    }
}
