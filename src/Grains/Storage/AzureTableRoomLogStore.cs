using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using WsRooms.Protocol;

namespace WsRooms.Grains.Storage;

/// <summary>
/// The Azure Table <see cref="IRoomLogStore"/>: table <see cref="WsRoomsTableOptions.RoomLogTableName"/>,
/// PartitionKey = service id + room, RowKey = <c>long.MaxValue - position</c> as 19 digits, so a partition reads
/// newest first and the tail is its first page. A row holds the frame's event (<c>E</c>), sender (<c>S</c>),
/// recipient (<c>D</c>, only when set), payload (<c>P</c>, binary) and logging time (<c>T</c>); the room is the
/// partition. A frame too large for one entity property keeps its row, marked <c>X</c>, without its frame.
/// </summary>
internal sealed partial class AzureTableRoomLogStore : IRoomLogStore
{
    /// <summary>Azure Table transactions take at most 100 operations, all in one partition.</summary>
    private const int MaxBatch = 100;

    /// <summary>A transaction's body is capped at 4 MiB: batches stop well short of it.</summary>
    private const int MaxBatchBytes = 3 * 1024 * 1024;

    /// <summary>A binary property holds at most 64 KiB, a string property 32 K UTF-16 characters.</summary>
    private const int MaxPayloadBytes = 64 * 1024;

    private const int MaxNameChars = 32 * 1024;
    private const int PageSize = 1000;
    private const string EventProperty = "E";
    private const string SrcProperty = "S";
    private const string DstProperty = "D";
    private const string PayloadProperty = "P";
    private const string LoggedAtProperty = "T";
    private const string TooLargeProperty = "X";

    private readonly TableClient _table;
    private readonly string _keyPrefix;
    private readonly ILogger<AzureTableRoomLogStore> _logger;
    private readonly TableCreation _creation;

    public AzureTableRoomLogStore(TableServiceClient service, IOptions<WsRoomsTableOptions> options, IOptions<ClusterOptions> cluster, ILogger<AzureTableRoomLogStore> logger)
    {
        _table = service.GetTableClient(options.Value.RoomLogTableName);
        _creation = new TableCreation(_table, e => Log.CreateTableFailed(logger, e, _table.Name));
        // Several services may share a storage account and table: their rows never meet.
        _keyPrefix = AzureTableRowStore.EscapeKey(cluster.Value.ServiceId) + "|";
        _logger = logger;
    }

    /// <summary>Whether <paramref name="message"/> fits in one row; a larger frame is delivered but not made durable.</summary>
    public static bool Fits(Message message) =>
        message.Payload.Length <= MaxPayloadBytes
        && message.Event.Length <= MaxNameChars && message.Src.Length <= MaxNameChars && message.Dst.Length <= MaxNameChars;

    /// <summary>The RowKey of <paramref name="position"/>: descending, so the newest row comes first.</summary>
    public static string RowKey(long position) => (long.MaxValue - position).ToString("D19", CultureInfo.InvariantCulture);

    public async Task<RoomLogTail> ReadTailAsync(string room, int maxFrames, CancellationToken cancellationToken)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        var query = _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(room)}"),
            maxPerPage: PageSize,
            cancellationToken: cancellationToken);
        var newestFirst = new List<StoredFrame>();
        long last = 0, oldest = 0;
        var run = true;
        await foreach (var entity in query.ConfigureAwait(false))
        {
            var position = long.MaxValue - long.Parse(entity.RowKey, CultureInfo.InvariantCulture);
            if (last == 0)
            {
                last = position;
            }

            // The tail is the newest rows without a gap or a frame too large; rows past it (older than the retention
            // that the next write applies) are only counted, so that write can delete them.
            run &= newestFirst.Count < maxFrames
                && position == (newestFirst.Count == 0 ? last : newestFirst[^1].Position - 1)
                && entity.GetBoolean(TooLargeProperty) is not true;
            if (run)
            {
                var message = new Message(
                    room,
                    entity.GetString(EventProperty) ?? "",
                    entity.GetString(DstProperty) ?? "",
                    entity.GetString(SrcProperty) ?? "",
                    entity.GetBinary(PayloadProperty) ?? []);
                newestFirst.Add(new StoredFrame(position, message, entity.GetDateTimeOffset(LoggedAtProperty) ?? DateTimeOffset.MinValue));
            }

            oldest = position;
        }

        newestFirst.Reverse();
        return last == 0 ? RoomLogTail.Empty : new RoomLogTail(last, oldest, newestFirst);
    }

    public async Task WriteAsync(string room, IReadOnlyList<StoredFrame> frames, long deleteFrom, long deleteBelow)
    {
        await _creation.EnsureAsync().ConfigureAwait(false);
        var key = PartitionKey(room);
        var actions = new List<TableTransactionAction>(Math.Min(MaxBatch, frames.Count + (int)Math.Max(deleteBelow - deleteFrom, 0)));
        var bytes = 0;
        foreach (var frame in frames)
        {
            var entity = new TableEntity(key, RowKey(frame.Position)) { [LoggedAtProperty] = frame.LoggedAt };
            var size = 0;
            var message = frame.Message;
            if (message is null || !Fits(message))
            {
                if (message is not null)
                {
                    Log.FrameTooLarge(_logger, room, frame.Position, message.Payload.Length);
                }

                entity[TooLargeProperty] = true;
            }
            else
            {
                entity[EventProperty] = message.Event;
                entity[SrcProperty] = message.Src;
                entity[PayloadProperty] = message.Payload;
                if (message.Dst.Length > 0)
                {
                    entity[DstProperty] = message.Dst;
                }

                size = message.Payload.Length + (2 * (message.Event.Length + message.Src.Length + message.Dst.Length));
            }

            if (actions.Count == MaxBatch || bytes + size > MaxBatchBytes)
            {
                await SubmitAsync(actions).ConfigureAwait(false);
                actions.Clear();
                bytes = 0;
            }

            bytes += size;
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
        }

        for (var position = deleteFrom; position < deleteBelow; position++)
        {
            if (actions.Count == MaxBatch)
            {
                await SubmitAsync(actions).ConfigureAwait(false);
                actions.Clear();
            }

            actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(key, RowKey(position)), ETag.All));
        }

        if (actions.Count > 0)
        {
            await SubmitAsync(actions).ConfigureAwait(false);
        }
    }

    private async Task SubmitAsync(List<TableTransactionAction> actions)
    {
        try
        {
            await _table.SubmitTransactionAsync(actions).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // A row to delete was already gone (a repeated write, or a position never stored); a transaction fails
            // whole, so do this one's operations one by one, ignoring what is gone.
            foreach (var action in actions)
            {
                if (action.ActionType == TableTransactionActionType.Delete)
                {
                    try
                    {
                        await _table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All).ConfigureAwait(false);
                    }
                    catch (RequestFailedException inner) when (inner.Status == 404)
                    {
                    }
                }
                else
                {
                    await _table.UpsertEntityAsync(action.Entity, TableUpdateMode.Replace).ConfigureAwait(false);
                }
            }
        }
    }

    private string PartitionKey(string room) => _keyPrefix + AzureTableRowStore.EscapeKey(room);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4111, Level = LogLevel.Error, Message = "Could not create Azure table {Table} for the room logs")]
        public static partial void CreateTableFailed(ILogger logger, Exception exception, string table);

        [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Room {Room}: the frame at position {Position} ({Bytes} payload bytes) does not fit in a table row; it is delivered, but not made durable")]
        public static partial void FrameTooLarge(ILogger logger, string room, long position, int bytes);
    }
}
