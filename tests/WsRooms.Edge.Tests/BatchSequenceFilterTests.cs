using WsRooms.Delivery;
using WsRooms.Edge.Delivery;

namespace WsRooms.Edge.Tests;

/// <summary>
/// The edge drops a batch it has already taken: the outbox retries a publish that timed out with the same number,
/// and the first attempt may have arrived after all.
/// </summary>
public sealed class BatchSequenceFilterTests
{
    private static EdgeBatch Batch(Guid source, long sequence) => new([], 0, source, sequence);

    [Fact]
    public void RepeatsAndStragglersFromOneSourceAreDroppedOthersPass()
    {
        var filter = new BatchSequenceFilter();
        var silo1 = Guid.NewGuid();
        var silo2 = Guid.NewGuid();

        Assert.True(filter.TryAccept(Batch(silo1, 1)));
        Assert.True(filter.TryAccept(Batch(silo1, 2)));
        Assert.False(filter.TryAccept(Batch(silo1, 2))); // the retry of a publish that did arrive
        Assert.True(filter.TryAccept(Batch(silo1, 5)));   // numbers are shared by all edges: gaps are normal
        Assert.False(filter.TryAccept(Batch(silo1, 4)));  // a first attempt overtaken by its retry and what followed
        Assert.True(filter.TryAccept(Batch(silo2, 1)));   // another silo counts on its own
    }
}
