using Microsoft.Extensions.Logging;
using WsRooms.Delivery;
using WsRooms.Grains.Delivery;
using WsRooms.Grains.Observability;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.RoomLogs;

/// <summary>
/// The storage side of one durable room's log, for the life of its activation: every frame the room logs is written
/// to the <see cref="IRoomLogStore"/>, and every delivery the room posts waits, in order, until the frames logged
/// before it are stored. So a frame reaches no edge host before it is durable, and a room that comes back after its
/// silo died holds every position any member received and continues one above the last.
/// </summary>
/// <remarks>
/// The grain's turn only queues: one write is in flight at a time, and it takes everything that piled up meanwhile
/// (one batch, one transaction per 100 rows), so a busy room's frames cost one row each and its writes do not
/// multiply with its traffic. The same write deletes what the ring has let go from the old end, except the newest
/// stored row, which keeps the room's last position. Runs on its grain's scheduler: not thread-safe, and needs none.
/// </remarks>
internal sealed partial class DurableRoomLog
{
    /// <summary>The most old rows one write deletes: a log whose retention shrank sheds its backlog over several writes.</summary>
    private const int MaxDeletesPerWrite = 1000;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly string _room;
    private readonly RoomLog _log;
    private readonly IRoomLogStore _store;
    private readonly IEdgeOutbox _outbox;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private List<Pending> _pending = [];
    private Task? _writing;
    private long _storedOldest;
    private long _storedLast;

    public DurableRoomLog(string room, RoomLog log, RoomLogTail stored, IRoomLogStore store, IEdgeOutbox outbox, TimeProvider clock, ILogger logger)
    {
        _room = room;
        _log = log;
        _store = store;
        _outbox = outbox;
        _clock = clock;
        _logger = logger;
        _storedOldest = stored.OldestPosition;
        _storedLast = stored.LastPosition;
    }

    /// <summary>The first position not yet stored: reads of the log stop below it, so nobody reads a frame its silo could still lose.</summary>
    public long StoredEnd => _storedLast + 1;

    /// <summary>Queues the frame the log just gave <paramref name="position"/> for the next write.</summary>
    public void Logged(long position, Message message)
    {
        _pending.Add(new Pending(position, message, _clock.GetUtcNow(), null, null));
        _writing ??= WriteAsync();
    }

    /// <summary>Posts <paramref name="delivery"/> to <paramref name="edgeId"/> once every frame logged before it is stored.</summary>
    public void Post(string edgeId, EdgeDelivery delivery)
    {
        if (_pending.Count == 0 && _writing is null)
        {
            _outbox.Post(edgeId, delivery);
            return;
        }

        _pending.Add(new Pending(0, null, default, edgeId, delivery));
    }

    /// <summary>Completes when everything queued so far is stored and posted (a deactivating room waits for it).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => (_writing ?? Task.CompletedTask).WaitAsync(cancellationToken);

    private async Task WriteAsync()
    {
        // Entered in a grain turn: yield first, so the turn that queued the first frame finishes queuing its posts.
        await Task.Yield();
        while (_pending.Count > 0)
        {
            var batch = _pending;
            _pending = [];
            var frames = new List<StoredFrame>(batch.Count);
            foreach (var item in batch)
            {
                if (item.Delivery is null)
                {
                    frames.Add(new StoredFrame(item.Position, item.Message, item.LoggedAt));
                }
            }

            if (frames.Count > 0)
            {
                await StoreAsync(frames);
            }

            foreach (var item in batch)
            {
                if (item.Delivery is not null)
                {
                    _outbox.Post(item.Edge!, item.Delivery);
                }
            }
        }

        _writing = null;
    }

    private async Task StoreAsync(List<StoredFrame> frames)
    {
        var last = frames[^1].Position;

        // The ring's old end goes from storage too; the newest stored row stays, whatever the ring keeps, because it
        // is what tells the next activation where to continue. A frame of this batch that the ring already let go is
        // not written at all (a transaction may not touch one row twice).
        var deleteFrom = _storedOldest == 0 ? frames[0].Position : _storedOldest;
        var keepFrom = Math.Max(Math.Min(Math.Min(_log.OldestPosition, last), deleteFrom + MaxDeletesPerWrite), deleteFrom);
        var written = keepFrom <= frames[0].Position ? frames : frames.FindAll(f => f.Position >= keepFrom);
        var deleteBelow = Math.Min(keepFrom, frames[0].Position);
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.WriteAsync(_room, written, deleteFrom, deleteBelow);
                break;
            }
            catch (Exception e)
            {
                // The room's deliveries wait behind this write, as its membership changes wait for theirs: a frame
                // is never delivered without being stored.
                Log.WriteFailed(_logger, e, _room, written.Count, attempt, delay);
                await Task.Delay(delay, _clock);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }

        _storedOldest = keepFrom;
        _storedLast = last;
        SiloMetrics.RoomLogWritten(written.Count, Math.Max(deleteBelow - deleteFrom, 0));
    }

    /// <summary>A frame to store (<see cref="Delivery"/> null) or a delivery to post after the frames before it.</summary>
    private readonly record struct Pending(long Position, Message? Message, DateTimeOffset LoggedAt, string? Edge, EdgeDelivery? Delivery);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2050, Level = LogLevel.Error, Message = "Room {Room}: storing {Frames} log frames failed (attempt {Attempt}); the room's deliveries wait, retrying in {Delay}")]
        public static partial void WriteFailed(ILogger logger, Exception exception, string room, int frames, int attempt, TimeSpan delay);
    }
}
