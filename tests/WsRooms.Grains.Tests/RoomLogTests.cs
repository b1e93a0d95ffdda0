using Microsoft.Extensions.Time.Testing;
using WsRooms.Grains.RoomLogs;
using WsRooms.Protocol;

namespace WsRooms.Grains.Tests;

/// <summary>The ring buffer behind each room's log, on its own: positions, retention by count, age and bytes, reads.</summary>
public sealed class RoomLogTests
{
    private const long First = 1_000;
    private static readonly RoomLogLimits Roomy = new(100, TimeSpan.FromMinutes(10), 1 << 20);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void PositionsStartAtTheFirstAndIncreaseByExactlyOne()
    {
        var log = new RoomLog(First, Roomy, _clock);
        Assert.Equal(First - 1, log.LastPosition);
        Assert.Equal(First, log.OldestPosition);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(First + i, log.Append(Frame(i)));
        }

        Assert.Equal(First + 19, log.LastPosition);
        Assert.Equal(20, log.Count);
    }

    [Fact]
    public void TheRingKeepsTheLastMaxFramesAndGrowsOnlyToThem()
    {
        var log = new RoomLog(First, Roomy with { MaxFrames = 10 }, _clock);
        for (var i = 0; i < 35; i++)
        {
            log.Append(Frame(i));
        }

        Assert.Equal(10, log.Count);
        Assert.Equal(10, log.Capacity);
        Assert.Equal(First + 25, log.OldestPosition);
        var history = log.ReadLast(100, 0);
        Assert.Equal(Enumerable.Range(25, 10).Select(i => First + i), history.Frames.Select(f => f.Position));
        Assert.Equal(Enumerable.Range(25, 10).Select(i => $"m{i}"), history.Frames.Select(f => f.Message.Event));
        Assert.False(history.Complete); // 100 asked for, and older ones were dropped
    }

    [Fact]
    public void FramesOlderThanMaxAgeLeaveOnTheNextAppendOrRead()
    {
        var log = new RoomLog(First, Roomy with { MaxAge = TimeSpan.FromSeconds(10) }, _clock);
        log.Append(Frame(0));
        log.Append(Frame(1));
        _clock.Advance(TimeSpan.FromSeconds(6));
        log.Append(Frame(2));
        _clock.Advance(TimeSpan.FromSeconds(5));

        var history = log.ReadAfter(First - 1, 0);
        Assert.Equal([First + 2], history.Frames.Select(f => f.Position));
        Assert.False(history.Complete);
        Assert.Equal(First + 2, history.OldestPosition);

        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(First + 3, log.Append(Frame(3)));
        Assert.Equal(1, log.Count);
        Assert.Equal(First + 3, log.OldestPosition);
    }

    [Fact]
    public void BytesAreCappedAndAFrameOverTheCapIsNotKeptButCounted()
    {
        var frameBytes = RoomLog.SizeOf(Frame(0, payload: 100));
        var log = new RoomLog(First, Roomy with { MaxBytes = 3 * frameBytes }, _clock);
        for (var i = 0; i < 5; i++)
        {
            log.Append(Frame(i, payload: 100));
        }

        Assert.Equal(3, log.Count);
        Assert.Equal(3 * frameBytes, log.Bytes);
        Assert.Equal(First + 2, log.OldestPosition);

        // One frame larger than the whole cap empties the log, itself included; its position is still taken.
        Assert.Equal(First + 5, log.Append(Frame(5, payload: 10 * (int)frameBytes)));
        Assert.Equal(0, log.Count);
        Assert.Equal(0, log.Bytes);
        Assert.Equal(First + 6, log.OldestPosition);
        Assert.Equal(First + 6, log.Append(Frame(6, payload: 100)));
        Assert.Equal([First + 6], log.ReadLast(10, 0).Frames.Select(f => f.Position));
    }

    [Fact]
    public void ALogThatKeepsNothingStillGivesPositions()
    {
        var log = new RoomLog(First, Roomy with { MaxFrames = 0 }, _clock);
        Assert.Equal(First, log.Append(Frame(0)));
        Assert.Equal(First + 1, log.Append(Frame(1)));
        Assert.Equal(0, log.Count);
        Assert.Equal(0, log.Capacity);
        Assert.True(log.ReadAfter(First + 1, 0).Complete);
        Assert.False(log.ReadAfter(First, 0).Complete);
    }

    [Fact]
    public void ReadLastTakesTheNewestBeforeTheBound()
    {
        var log = new RoomLog(First, Roomy, _clock);
        for (var i = 0; i < 10; i++)
        {
            log.Append(Frame(i));
        }

        var last3 = log.ReadLast(3, 0);
        Assert.Equal([First + 7, First + 8, First + 9], last3.Frames.Select(f => f.Position));
        Assert.True(last3.Complete);
        Assert.Equal(First + 9, last3.LastPosition);

        var before = log.ReadLast(3, First + 5);
        Assert.Equal([First + 2, First + 3, First + 4], before.Frames.Select(f => f.Position));

        // Fewer than asked for, but nothing was ever dropped: that is all there is.
        var all = log.ReadLast(50, 0);
        Assert.Equal(10, all.Frames.Count);
        Assert.True(all.Complete);

        Assert.Empty(log.ReadLast(0, 0).Frames);
    }

    [Fact]
    public void ReadAfterSaysWhetherTheLogStillReachesBack()
    {
        var log = new RoomLog(First, Roomy with { MaxFrames = 5 }, _clock);
        for (var i = 0; i < 8; i++)
        {
            log.Append(Frame(i)); // keeps First+3 .. First+7
        }

        var reaches = log.ReadAfter(First + 2, 0);
        Assert.True(reaches.Complete);
        Assert.Equal(Enumerable.Range(3, 5).Select(i => First + i), reaches.Frames.Select(f => f.Position));

        var gone = log.ReadAfter(First + 1, 0);
        Assert.False(gone.Complete);
        Assert.Equal(5, gone.Frames.Count); // what it still has

        var bounded = log.ReadAfter(First + 3, First + 6);
        Assert.True(bounded.Complete);
        Assert.Equal([First + 4, First + 5], bounded.Frames.Select(f => f.Position));

        var caughtUp = log.ReadAfter(First + 7, 0);
        Assert.True(caughtUp.Complete);
        Assert.Empty(caughtUp.Frames);

        // A position this log never gave (beyond its last) is from a log the reader cannot have seen.
        Assert.False(log.ReadAfter(First + 9, 0).Complete);

        // Positions from before the log began (an earlier activation) are gone.
        Assert.False(new RoomLog(First + 100, Roomy, _clock).ReadAfter(First + 7, 0).Complete);
    }

    [Fact]
    public void ReadsAreRightAcrossTheRingsWrapAndItsGrowth()
    {
        var log = new RoomLog(First, Roomy with { MaxFrames = 16 }, _clock);
        for (var i = 0; i < 1_000; i++)
        {
            log.Append(Frame(i));
            var history = log.ReadLast(16, 0);
            var expected = Enumerable.Range(Math.Max(0, i - 15), Math.Min(i + 1, 16)).ToArray();
            Assert.Equal(expected.Select(e => First + e), history.Frames.Select(f => f.Position));
            Assert.Equal(expected.Select(e => $"m{e}"), history.Frames.Select(f => f.Message.Event));
        }
    }

    [Fact]
    public void ANewLogBeginsAboveEverythingAnEarlierOneCouldReach()
    {
        var earlier = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var first = RoomLog.FirstPositionAt(earlier);
        Assert.Equal(1_800_000_000_000L << RoomLog.PositionsPerMillisecondBits, first);

        // A millisecond later is 2^20 positions higher; the year 2200 still fits a signed 64-bit position.
        Assert.Equal(first + (1L << RoomLog.PositionsPerMillisecondBits), RoomLog.FirstPositionAt(earlier.AddMilliseconds(1)));
        Assert.True(RoomLog.FirstPositionAt(new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero)) > first);
    }

    [Fact]
    public void ALogContinuedFromStorageKeepsItsFramesAndGoesOnAboveTheLast()
    {
        var loggedAt = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(4));
        var log = RoomLog.Continue(First + 2, [(First, Frame(0), loggedAt), (First + 1, Frame(1), loggedAt), (First + 2, Frame(2), _clock.GetUtcNow())], Roomy, _clock);

        Assert.Equal(First + 2, log.LastPosition);
        Assert.Equal(First + 3, log.Append(Frame(3)));
        Assert.Equal([First, First + 1, First + 2, First + 3], log.ReadAfter(First - 1, 0).Frames.Select(f => f.Position));
        Assert.True(log.ReadAfter(First - 1, 0).Complete);

        // What came before the stored frames is unknown: fewer than asked for is not the whole log.
        Assert.False(log.ReadLast(10, 0).Complete);

        // Frames keep the age they had when stored.
        _clock.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal([First + 2, First + 3], log.ReadAfter(First - 1, 0).Frames.Select(f => f.Position));
    }

    [Fact]
    public void ALogContinuedWithoutFramesBeginsAboveTheLastPosition()
    {
        var log = RoomLog.Continue(First, [], Roomy, _clock);
        Assert.Equal(First, log.LastPosition);
        Assert.Equal(0, log.Count);
        Assert.Equal(First + 1, log.Append(Frame(1)));
        Assert.Throws<ArgumentException>(() => RoomLog.Continue(First + 5, [(First, Frame(0), _clock.GetUtcNow())], Roomy, _clock));
    }

    private static Message Frame(int i, int payload = 4) => new("room", $"m{i}", "", "", new byte[payload]);
}
