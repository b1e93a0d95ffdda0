namespace WsRooms.Grains.Storage;

/// <summary>
/// Storage for state that grows with its number of items (a room's members, an edge host's connections): one row
/// per item, grouped in partitions. Adding or removing one item writes one row, whatever the partition's size, so
/// a room of 50,000 members costs the same per join as a room of two, and no stored entity grows past a few
/// hundred bytes (Azure Table entities are capped near 1 MiB, and its emulator refuses smaller ones already).
/// </summary>
/// <remarks>
/// Each partition has one writer at a time (the grain that owns it), so there is no concurrency control here.
/// Implementations: <see cref="MemoryRowStore"/> (default, lost when the silo holding a partition stops) and
/// <see cref="AzureTableRowStore"/> (Azure Table storage: PartitionKey = owner, RowKey = item).
/// </remarks>
public interface IRowStore
{
    /// <summary>Every row of <paramref name="partition"/>, read page by page.</summary>
    Task<IReadOnlyList<StoredRow>> ReadPartitionAsync(string partition, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces one row.</summary>
    Task UpsertAsync(string partition, string row, string value);

    /// <summary>Removes one row; removing a row that is not there succeeds.</summary>
    Task DeleteAsync(string partition, string row);

    /// <summary>Removes every row of <paramref name="partition"/> (in batches where the store has them).</summary>
    Task DeletePartitionAsync(string partition);
}

/// <summary>One stored row: its key within the partition and its (small) value.</summary>
[GenerateSerializer, Immutable, Alias("wsrooms.StoredRow")]
public readonly record struct StoredRow([property: Id(0)] string Row, [property: Id(1)] string Value);

/// <summary>The partitions WsRooms keeps, one naming scheme for every store.</summary>
internal static class RowPartitions
{
    /// <summary>A room's members (<c>m:</c> + connection id → edge id) and attached edges (<c>a:</c> + edge id).</summary>
    public static string Room(string room) => "room|" + room;

    /// <summary>The connections an edge host holds (connection id → ""), so a lapsed lease can close them.</summary>
    public static string EdgeConnections(string edgeId) => "edge|" + edgeId;

    /// <summary>The edge hosts the lease directory knows (edge id → instance and lease).</summary>
    public const string EdgeDirectory = "edges";

    public const string MemberPrefix = "m:";

    public const string AttachedEdgePrefix = "a:";
}
