using WsRooms.Edge.Connections;

namespace WsRooms.Edge.Tests;

/// <summary>
/// The send queue of one connection: first in, first out through every growth of its ring, and cheap where the edge
/// needs it to be: one waiting frame costs no array, and a steady trickle of small bursts reuses the ring it has.
/// </summary>
public sealed class FrameQueueTests
{
    private static ReadOnlyMemory<byte> Frame(int n) => new[] { (byte)n };

    private static int Read(ref FrameQueue queue) => queue.Dequeue().Span[0];

    [Fact]
    public void FramesComeOutInTheOrderTheyWentIn()
    {
        var queue = default(FrameQueue);
        for (var i = 0; i < 3; i++)
        {
            queue.Enqueue(Frame(i));
        }

        Assert.Equal(3, queue.Count);
        Assert.Equal(new[] { 0, 1, 2 }, new[] { Read(ref queue), Read(ref queue), Read(ref queue) });
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void OrderIsKeptAcrossGrowthAndAWrappedRing()
    {
        var queue = default(FrameQueue);
        var next = 0;
        var expected = 0;

        // Take some out between the bursts, so that the ring's start moves and the copy on growth has to unwrap it.
        foreach (var burst in new[] { 3, 5, 9, 17, 40 })
        {
            for (var i = 0; i < burst; i++)
            {
                queue.Enqueue(Frame(next++));
            }

            for (var i = 0; i < burst / 2; i++)
            {
                Assert.Equal(expected++ % 256, Read(ref queue));
            }
        }

        Assert.Equal(next - expected, queue.Count);
        while (queue.Count > 0)
        {
            Assert.Equal(expected++ % 256, Read(ref queue));
        }

        Assert.Equal(next, expected);
    }

    [Fact]
    public void ClearEmptiesTheQueueAndItWorksAgainAfter()
    {
        var queue = default(FrameQueue);
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue(Frame(i));
        }

        queue.Clear();

        Assert.Equal(0, queue.Count);
        queue.Enqueue(Frame(7));
        queue.Enqueue(Frame(8));
        Assert.Equal(new[] { 7, 8 }, new[] { Read(ref queue), Read(ref queue) });
    }

    [Fact]
    public void OneWaitingFrameNeedsNoArray()
    {
        var frame = Frame(1);
        WarmUp(frame);
        var queue = default(FrameQueue);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue(frame);
            queue.Dequeue();
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void ASmallRingIsKeptForTheNextBurstAndALargeOneIsDroppedOnceEmpty()
    {
        var frame = Frame(1);
        WarmUp(frame);

        // A burst of a few frames grows a ring once; the next bursts of that size reuse it.
        var queue = default(FrameQueue);
        Fill(ref queue, frame, 5);
        Drain(ref queue);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Fill(ref queue, frame, 5);
        Drain(ref queue);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());

        // A large burst's ring is let go once the queue is empty: the next burst grows a new one.
        Fill(ref queue, frame, 100);
        Drain(ref queue);
        before = GC.GetAllocatedBytesForCurrentThread();
        Fill(ref queue, frame, 5);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() > before, "the large ring was kept after the queue emptied");
    }

    private static void Fill(ref FrameQueue queue, ReadOnlyMemory<byte> frame, int count)
    {
        for (var i = 0; i < count; i++)
        {
            queue.Enqueue(frame);
        }
    }

    private static void Drain(ref FrameQueue queue)
    {
        while (queue.Count > 0)
        {
            queue.Dequeue();
        }
    }

    /// <summary>Runs every path once, so that what is measured after is the queue, not the first call's setup.</summary>
    private static void WarmUp(ReadOnlyMemory<byte> frame)
    {
        var queue = default(FrameQueue);
        Fill(ref queue, frame, 100);
        Drain(ref queue);
        Fill(ref queue, frame, 5);
        Drain(ref queue);
        queue.Clear();
        _ = GC.GetAllocatedBytesForCurrentThread();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(20)]
    public void FramesPutFirstComeOutBeforeEveryFrameWaiting(int waiting)
    {
        var queue = default(FrameQueue);
        for (var i = 0; i < waiting; i++)
        {
            queue.Enqueue(Frame(10 + i));
        }

        queue.EnqueueFirst(Frame(2));
        queue.EnqueueFirst(Frame(1));
        queue.Enqueue(Frame(99));

        var order = new List<int>();
        while (queue.Count > 0)
        {
            order.Add(Read(ref queue));
        }

        Assert.Equal([1, 2, .. Enumerable.Range(10, waiting), 99], order);
    }
}
