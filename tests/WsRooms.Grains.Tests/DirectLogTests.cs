using WsRooms.Grains.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Grains.Tests;

/// <summary>A session's direct log alone: positions one apart, bounded by count, and reads after a position.</summary>
public sealed class DirectLogTests
{
    [Fact]
    public void PositionsIncreaseByOneAndTheOldestGoPastTheBound()
    {
        var log = new DirectLog(firstPosition: 100, maxFrames: 3);
        Assert.Equal(99, log.LastPosition);
        Assert.True(log.ReadAfter(99).Complete);

        var positions = Enumerable.Range(0, 5).Select(i => log.Append(Message.FromText("root", "dm", "c", "", $"m{i}"))).ToArray();
        Assert.Equal([100L, 101, 102, 103, 104], positions);

        var all = log.ReadAfter(101);
        Assert.True(all.Complete);
        Assert.Equal([102L, 103, 104], all.Frames.Select(f => f.Position));
        Assert.Equal(["m2", "m3", "m4"], all.Frames.Select(f => f.Message.PayloadText));

        var tooFar = log.ReadAfter(100);
        Assert.False(tooFar.Complete);
        Assert.Equal(3, tooFar.Frames.Count);

        var upToDate = log.ReadAfter(104);
        Assert.True(upToDate.Complete);
        Assert.Empty(upToDate.Frames);
        Assert.False(log.ReadAfter(105).Complete);
    }

    [Fact]
    public void AfterZeroIsEverythingSinceTheLogBeganCompleteUntilItDropsOne()
    {
        var log = new DirectLog(firstPosition: 100, maxFrames: 2);
        Assert.True(log.ReadAfter(0).Complete);
        log.Append(Message.FromText("root", "dm", "c", "", "a"));
        log.Append(Message.FromText("root", "dm", "c", "", "b"));

        var all = log.ReadAfter(0);
        Assert.True(all.Complete);
        Assert.Equal(["a", "b"], all.Frames.Select(f => f.Message.PayloadText));

        log.Append(Message.FromText("root", "dm", "c", "", "c"));
        Assert.False(log.ReadAfter(0).Complete);
    }
}
