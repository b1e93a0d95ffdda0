namespace WsRooms.Grains.Storage;

/// <summary>One partition of the <see cref="MemoryRowStore"/>. Infrastructure; not for application code.</summary>
public interface IMemoryRowPartitionGrain : IGrainWithStringKey
{
    /// <summary>Every row of the partition.</summary>
    Task<StoredRow[]> ReadAsync();

    /// <summary>Adds or replaces one row.</summary>
    Task UpsertAsync(string row, string value);

    /// <summary>Removes one row, if it is there.</summary>
    Task DeleteAsync(string row);

    /// <summary>Removes every row.</summary>
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
