using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace WsRooms.Grains.Storage;

/// <summary>
/// The Azure Table <see cref="IRowStore"/>: one table, PartitionKey = service id + partition (a room, an edge host),
/// RowKey = the item (a member's connection id), one small string property. A join or leave is one entity upsert or
/// delete; loading a room reads its partition 1,000 entities a page; clearing deletes in transactions of 100.
/// </summary>
internal sealed partial class AzureTableRowStore : IRowStore
{
    /// <summary>Azure Table transactions take at most 100 operations, all in one partition.</summary>
    private const int MaxBatch = 100;

    private const string ValueProperty = "V";
    private const int PageSize = 1000;

    private readonly TableClient _table;
    private readonly string _keyPrefix;
    private readonly TableCreation _creation;

    public AzureTableRowStore(TableServiceClient service, IOptions<WsRoomsTableOptions> options, IOptions<ClusterOptions> cluster, ILogger<AzureTableRowStore> logger)
    {
        _table = service.GetTableClient(options.Value.TableName);
        _creation = new TableCreation(_table, e => Log.CreateTableFailed(logger, e, _table.Name));
        // Several services may share a storage account and table: their rows never meet.
        _keyPrefix = EscapeKey(cluster.Value.ServiceId) + "|";
    }

    public async Task<IReadOnlyList<StoredRow>> ReadPartitionAsync(string partition, CancellationToken cancellationToken = default)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        var key = PartitionKey(partition);
        var rows = new List<StoredRow>();
        var query = _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {key}"),
            maxPerPage: PageSize,
            select: [nameof(ITableEntity.RowKey), ValueProperty],
            cancellationToken: cancellationToken);
        await foreach (var entity in query.ConfigureAwait(false))
        {
            rows.Add(new StoredRow(UnescapeKey(entity.RowKey), entity.GetString(ValueProperty) ?? ""));
        }

        return rows;
    }

    public async Task UpsertAsync(string partition, string row, string value)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        var entity = new TableEntity(PartitionKey(partition), EscapeKey(row)) { [ValueProperty] = value };
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string partition, string row)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        try
        {
            await _table.DeleteEntityAsync(PartitionKey(partition), EscapeKey(row), ETag.All).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone: deleting is idempotent.
        }
    }

    public async Task DeletePartitionAsync(string partition)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        var key = PartitionKey(partition);
        var batch = new List<TableTransactionAction>(MaxBatch);
        var query = _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {key}"),
            maxPerPage: PageSize,
            select: [nameof(ITableEntity.RowKey)]);
        await foreach (var entity in query.ConfigureAwait(false))
        {
            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(key, entity.RowKey), ETag.All));
            if (batch.Count == MaxBatch)
            {
                await SubmitDeletesAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await SubmitDeletesAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task SubmitDeletesAsync(List<TableTransactionAction> batch)
    {
        try
        {
            await _table.SubmitTransactionAsync(batch).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // One of them went meanwhile (a transaction fails whole): delete one by one, ignoring what is gone.
            foreach (var action in batch)
            {
                try
                {
                    await _table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All).ConfigureAwait(false);
                }
                catch (RequestFailedException inner) when (inner.Status == 404)
                {
                }
            }
        }
    }

    private string PartitionKey(string partition) => _keyPrefix + EscapeKey(partition);

    /// <summary>
    /// PartitionKey and RowKey refuse <c>/ \ # ?</c> and control characters; room names may hold any of them.
    /// Those (and the escape character <c>%</c> and the separator <c>|</c>) become <c>%XXXX</c>.
    /// </summary>
    internal static string EscapeKey(string key)
    {
        var needs = false;
        foreach (var c in key)
        {
            if (MustEscape(c))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return key;
        }

        var builder = new StringBuilder(key.Length + 16);
        foreach (var c in key)
        {
            if (MustEscape(c))
            {
                builder.Append('%').Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    internal static string UnescapeKey(string key)
    {
        if (!key.Contains('%', StringComparison.Ordinal))
        {
            return key;
        }

        var builder = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '%' && i + 4 < key.Length && int.TryParse(key.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                builder.Append((char)code);
                i += 4;
            }
            else
            {
                builder.Append(key[i]);
            }
        }

        return builder.ToString();
    }

    private static bool MustEscape(char c) => c is '/' or '\\' or '#' or '?' or '%' or '|' || char.IsControl(c);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Could not create Azure table {Table}")]
        public static partial void CreateTableFailed(ILogger logger, Exception exception, string table);
    }
}
