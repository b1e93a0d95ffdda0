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

/// <summary>One partition of the <see cref="MemoryRowStore"/>. Infrastructure; not for application code.</summary>
public interface IMemoryRowPartitionGrain : IGrainWithStringKey
{
    Task<StoredRow[]> ReadAsync();

    Task UpsertAsync(string row, string value);

    Task DeleteAsync(string row);

    Task ClearAsync();
}

/// <summary>
/// Kept alive while it holds rows (its memory is the storage: idle collection would lose them), released once empty.
/// </summary>
[KeepAlive]
internal sealed class MemoryRowPartitionGrain : Grain, IMemoryRowPartitionGrain
{
    private readonly Dictionary<string, string> _rows = new(StringComparer.Ordinal);

    public Task<StoredRow[]> ReadAsync() => Task.FromResult(_rows.Select(r => new StoredRow(r.Key, r.Value)).ToArray());

    public Task UpsertAsync(string row, string value)
    {
        _rows[row] = value;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string row)
    {
        if (_rows.Remove(row) && _rows.Count == 0)
        {
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task ClearAsync()
    {
        _rows.Clear();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
