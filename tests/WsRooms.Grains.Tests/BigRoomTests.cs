using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Grains.Storage;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Grains.Tests;

/// <summary>
/// A room of 50,000 members is stored one row per member: it persists, reloads after deactivation, and one more
/// join writes one more row (never a blob that grows with the room, which Azure Table would refuse near 1 MiB).
/// </summary>
public abstract class BigRoomTests(GrainsClusterFixture fixture, ITestOutputHelper output)
{
    private const int Members = 50_000;

    [Fact]
    public async Task ARoomOf50000MembersPersistsReloadsAndAJoinWritesOneRow()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var room = TestNames.Room();
        var grain = fixture.Grains.GetRoom(room);
        var store = fixture.SiloServices.GetRequiredService<IRowStore>();
        var partition = RowPartitions.Room(room);

        // The first members join through the grain; the rest are written straight to the store, many at a time,
        // exactly the rows their joins would have written (a join is one row: checked below), to keep the test short.
        var joined = Enumerable.Range(0, 20).Select(_ => TestNames.Connection()).ToArray();
        foreach (var id in joined)
        {
            Assert.True(await grain.AddMemberAsync(id, edge.Id));
        }

        var fill = Stopwatch.StartNew();
        var bulk = Enumerable.Range(0, Members - joined.Length)
            .Select(_ => new StoredRow(RowPartitions.MemberPrefix + TestNames.Connection(), edge.Id))
            .ToArray();
        await Parallel.ForEachAsync(
            bulk,
            new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (row, _) => await store.UpsertAsync(partition, row.Row, row.Value));
        fill.Stop();

        var reload = await ReloadAsync(room);
        Assert.Equal(Members, (await grain.GetMembersAsync()).Count);
        reload.Stop();

        // One more join: one row more, and its cost does not depend on the room's size.
        var joiner = TestNames.Connection();
        var join = Stopwatch.StartNew();
        Assert.True(await grain.AddMemberAsync(joiner, edge.Id));
        join.Stop();
        Assert.Equal(Members + 1, (await store.ReadPartitionAsync(partition)).Count);

        // The joiner's join_ack lists itself first and as many others as one stream event carries.
        var ack = await edge.WaitForConnectionEventAsync(joiner, room, EventNames.JoinAck, TimeSpan.FromSeconds(60));
        var listed = JsonSerializer.Deserialize<string[]>(ack.Message.Payload)!;
        Assert.Equal(joiner, listed[0]);
        Assert.InRange(listed.Length, 10_000, Members);
        Assert.Equal(listed.Length, listed.Distinct().Count());

        // Reloaded once more, from storage alone.
        var second = await ReloadAsync(room);
        var members = await grain.GetMembersAsync();
        second.Stop();
        Assert.Equal(Members + 1, members.Count);
        Assert.Contains(joiner, members);
        Assert.All(joined, id => Assert.Contains(id, members));

        // A leave is one row less.
        Assert.True(await grain.RemoveMemberAsync(joiner, edge.Id, acknowledge: true));
        Assert.Equal(Members, (await store.ReadPartitionAsync(partition)).Count);

        output.WriteLine($"{GetType().Name}: wrote {bulk.Length:N0} rows in {fill.Elapsed.TotalSeconds:F1} s; " +
            $"reload of {Members:N0} members {reload.Elapsed.TotalSeconds:F2} s, of {Members + 1:N0} {second.Elapsed.TotalSeconds:F2} s; " +
            $"one join into the full room {join.Elapsed.TotalMilliseconds:F1} ms; join_ack listed {listed.Length:N0} ids ({ack.Message.Payload.Length:N0} bytes)");
    }

    /// <summary>Deactivates the room's activation and returns a watch started just before the next call reloads it.</summary>
    private async Task<Stopwatch> ReloadAsync(string room)
    {
        var id = fixture.Grains.GetRoom(room).GetGrainId();
        var deactivated = fixture.Cluster.WaitForDeactivationAsync(id);
        if (fixture.Cluster.TryGetGrainContext(id, out var context))
        {
            context.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "test: reload from storage"));
            await deactivated.WaitAsync(TimeSpan.FromSeconds(30));
        }

        return Stopwatch.StartNew();
    }
}

[Collection(ClusterCollection.Name)]
public sealed class MemoryBigRoomTests(ClusterFixture fixture, ITestOutputHelper output) : BigRoomTests(fixture, output);

[Collection(AzuriteClusterCollection.Name)]
public sealed class AzureTableBigRoomTests(AzuriteClusterFixture fixture, ITestOutputHelper output) : BigRoomTests(fixture, output);
