namespace WsRooms.Grains.Storage;

/// <summary>
/// The in-memory <see cref="IRowStore"/>: each partition lives in one <see cref="IMemoryRowPartitionGrain"/>, so
/// every silo sees the same rows (as with Orleans' memory grain storage) and a partition is lost only with the silo
/// that holds it. For development, tests and single-machine use.
/// </summary>
internal sealed class MemoryRowStore(IGrainFactory grains) : IRowStore
{
    public async Task<IReadOnlyList<StoredRow>> ReadPartitionAsync(string partition, CancellationToken cancellationToken = default) =>
        await Partition(partition).ReadAsync().WaitAsync(cancellationToken);

    public Task UpsertAsync(string partition, string row, string value) => Partition(partition).UpsertAsync(row, value);

    public Task DeleteAsync(string partition, string row) => Partition(partition).DeleteAsync(row);

    public Task DeletePartitionAsync(string partition) => Partition(partition).ClearAsync();

    private IMemoryRowPartitionGrain Partition(string partition) => grains.GetGrain<IMemoryRowPartitionGrain>(partition);
}
