using WsRooms.Protocol;

namespace WsRooms.Grains.RoomLogs;

/// <summary>
/// One room's log of the frames it fans out, in memory: a ring buffer of the last frames, each at a position one above
/// the previous. Appending is O(1) and allocates nothing but, now and then, a larger ring while the room's traffic
/// first grows towards <see cref="RoomLogLimits.MaxFrames"/>; the frames themselves are the ones being delivered.
/// </summary>
/// <remarks>
/// Frames leave from the old end when the log is over any of its limits, checked when a frame is appended and when
/// the log is read (so an idle room's log may hold expired frames until then; the frame and byte limits bound it
/// meanwhile). Positions go on counting whatever the log keeps. Not thread-safe: its grain's turns are its only caller.
/// </remarks>
internal sealed class RoomLog
{
    /// <summary>
    /// How many positions one millisecond of the clock is worth when a log begins (<see cref="FirstPositionAt"/>): a log
    /// that began a millisecond later starts 2^20 positions higher, so it is above every position an earlier log of the
    /// same room could have reached unless that one assigned over 2^20 positions per millisecond it lived.
    /// </summary>
    public const int PositionsPerMillisecondBits = 20;

    /// <summary>
    /// What a logged frame costs besides its payload: the message object and its payload array's header, and its slot
    /// in the ring. Event, room and sender names are shared with every other frame that uses them.
    /// </summary>
    public const int FrameOverheadBytes = 96;

    private const int InitialCapacity = 8;

    private readonly RoomLogLimits _limits;
    private readonly TimeProvider _clock;
    private readonly long _maxAgeTicks;
    private long _firstPosition;
    private Entry[] _entries = [];
    private int _oldest;
    private int _count;
    private long _bytes;
    private long _nextPosition;

    public RoomLog(long firstPosition, RoomLogLimits limits, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstPosition, 1);
        _firstPosition = firstPosition;
        _nextPosition = firstPosition;
        _limits = limits;
        _clock = clock;
        var ticks = limits.MaxAge.TotalSeconds * clock.TimestampFrequency;
        _maxAgeTicks = ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
    }

    /// <summary>
    /// A log that continues a durable one: <paramref name="frames"/> (oldest first, each one above the previous) are
    /// kept as if appended when they were logged, within the limits, and the next position is one above
    /// <paramref name="lastPosition"/>. What came before the oldest of them is unknown, so a read of the last N frames
    /// that finds fewer is not complete.
    /// </summary>
    public static RoomLog Continue(long lastPosition, IReadOnlyList<(long Position, Message Message, DateTimeOffset LoggedAt)> frames, RoomLogLimits limits, TimeProvider clock)
    {
        var log = new RoomLog(frames.Count > 0 ? frames[0].Position : lastPosition + 1, limits, clock);
        var now = clock.GetTimestamp();
        var utcNow = clock.GetUtcNow();
        foreach (var (position, message, loggedAt) in frames)
        {
            if (position != log._nextPosition)
            {
                throw new ArgumentException($"Frames must follow each other: {position} after {log._nextPosition - 1}.", nameof(frames));
            }

            log._nextPosition++;
            if (limits.KeepsFrames)
            {
                var age = utcNow - loggedAt;
                log.Keep(message, now - (long)(Math.Max(age.TotalSeconds, 0) * clock.TimestampFrequency));
            }
        }

        if (log._nextPosition != lastPosition + 1)
        {
            throw new ArgumentException($"The frames must end at the last position {lastPosition}.", nameof(frames));
        }

        log._firstPosition = 0;
        return log;
    }

    /// <summary>The first position of a log that begins at <paramref name="now"/>: Unix milliseconds, shifted left by <see cref="PositionsPerMillisecondBits"/>.</summary>
    public static long FirstPositionAt(DateTimeOffset now) => Math.Max(now.ToUnixTimeMilliseconds(), 1) << PositionsPerMillisecondBits;

    /// <summary>What a frame counts against <see cref="RoomLogLimits.MaxBytes"/>.</summary>
    public static long SizeOf(Message message) => message.Payload.Length + FrameOverheadBytes;

    /// <summary>The position of the last frame appended; the one just below the first before any.</summary>
    public long LastPosition => _nextPosition - 1;

    /// <summary>The oldest position held, or <see cref="LastPosition"/> + 1 when the log holds nothing.</summary>
    public long OldestPosition => _nextPosition - _count;

    /// <summary>Frames held.</summary>
    public int Count => _count;

    /// <summary>Bytes held (<see cref="SizeOf"/> summed).</summary>
    public long Bytes => _bytes;

    /// <summary>Slots of the ring (grows up to <see cref="RoomLogLimits.MaxFrames"/>).</summary>
    public int Capacity => _entries.Length;

    /// <summary>Gives <paramref name="message"/> the next position and keeps it while the limits allow.</summary>
    public long Append(Message message)
    {
        var position = _nextPosition++;
        if (!_limits.KeepsFrames)
        {
            return position;
        }

        Keep(message, _clock.GetTimestamp());
        return position;
    }

    private void Keep(Message message, long now)
    {
        DropExpired(now);
        if (_count == _limits.MaxFrames)
        {
            DropOldest();
        }

        if (_count == _entries.Length)
        {
            Grow();
        }

        var size = SizeOf(message);
        var slot = _oldest + _count;
        if (slot >= _entries.Length)
        {
            slot -= _entries.Length;
        }

        _entries[slot] = new Entry(message, now, size);
        _count++;
        _bytes += size;

        // May drop the new frame too, when it alone is over the byte limit: it keeps its position, the log lets it go.
        while (_bytes > _limits.MaxBytes)
        {
            DropOldest();
        }
    }

    /// <summary>The last <paramref name="count"/> frames below <paramref name="before"/> (0: no bound), oldest first.</summary>
    public RoomHistory ReadLast(int count, long before)
    {
        DropExpired(_clock.GetTimestamp());
        var end = End(before);
        var oldest = OldestPosition;
        if (count <= 0)
        {
            return new RoomHistory([], true, LastPosition, oldest);
        }

        var from = Math.Max(oldest, end - count);

        // Fewer than asked for is complete when nothing the log began with has been dropped yet.
        var complete = end - from >= count || oldest == _firstPosition;
        return new RoomHistory(Slice(from, end), complete, LastPosition, oldest);
    }

    /// <summary>Every frame after <paramref name="after"/> and below <paramref name="before"/> (0: no bound), oldest first.</summary>
    public RoomHistory ReadAfter(long after, long before)
    {
        DropExpired(_clock.GetTimestamp());
        var end = End(before);
        var oldest = OldestPosition;
        var from = after + 1;

        // Beyond the last position is a position this log never gave: from a log the client cannot have seen.
        var complete = from >= oldest && from <= _nextPosition;
        return new RoomHistory(Slice(Math.Max(from, oldest), end), complete, LastPosition, oldest);
    }

    private long End(long before) => before <= 0 || before > _nextPosition ? _nextPosition : before;

    private LoggedFrame[] Slice(long from, long end)
    {
        if (from >= end)
        {
            return [];
        }

        var frames = new LoggedFrame[end - from];
        var slot = _oldest + (int)(from - OldestPosition);
        for (var i = 0; i < frames.Length; i++, slot++)
        {
            if (slot >= _entries.Length)
            {
                slot -= _entries.Length;
            }

            frames[i] = new LoggedFrame(from + i, _entries[slot].Message);
        }

        return frames;
    }

    private void DropExpired(long now)
    {
        while (_count > 0 && now - _entries[_oldest].LoggedAt > _maxAgeTicks)
        {
            DropOldest();
        }
    }

    private void DropOldest()
    {
        ref var entry = ref _entries[_oldest];
        _bytes -= entry.Bytes;
        entry = default; // lets the frame go
        _count--;
        if (++_oldest == _entries.Length)
        {
            _oldest = 0;
        }
    }

    /// <summary>Doubles the ring (up to the frame limit), oldest frame first in the new one.</summary>
    private void Grow()
    {
        var capacity = (int)Math.Min(Math.Max(_entries.Length * 2L, InitialCapacity), _limits.MaxFrames);
        var entries = new Entry[capacity];
        for (var i = 0; i < _count; i++)
        {
            var slot = _oldest + i;
            entries[i] = _entries[slot >= _entries.Length ? slot - _entries.Length : slot];
        }

        _entries = entries;
        _oldest = 0;
    }

    /// <summary>A slot of the ring: the frame, when it was logged (<see cref="TimeProvider.GetTimestamp"/>), what it counts.</summary>
    private readonly record struct Entry(Message Message, long LoggedAt, long Bytes);
}
