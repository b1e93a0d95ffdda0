using Microsoft.Extensions.Time.Testing;
using WsRooms.Grains.Sessions;

namespace WsRooms.Grains.Tests;

/// <summary>A session's memory of accepted mids alone: exact keys, and both bounds, oldest first.</summary>
public sealed class MidMemoryTests
{
    [Fact]
    public void AMidIsRememberedWithItsFirstRoomAndPositionByItsExactBytes()
    {
        var memory = new MidMemory(10, TimeSpan.FromMinutes(1), new FakeTimeProvider());
        memory.Remember([0x61, 0xC3, 0xA9], "lobby", 42);
        memory.Remember([0x61, 0xC3, 0xA9], "other", 43);

        Assert.True(memory.TryGet([0x61, 0xC3, 0xA9], out var accepted));
        Assert.Equal(new AcceptedMid("lobby", 42), accepted);
        Assert.False(memory.TryGet([0x61, 0xC3], out _));
        Assert.False(memory.TryGet([0x61, 0xC3, 0xA8], out _));
        Assert.Equal(1, memory.Count);
    }

    [Fact]
    public void TheOldestGoPastTheCountAndPastTheirAge()
    {
        var clock = new FakeTimeProvider();
        var memory = new MidMemory(3, TimeSpan.FromMinutes(10), clock);
        for (var i = 0; i < 4; i++)
        {
            memory.Remember([(byte)i], "r", i);
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.False(memory.TryGet([0], out _));
        Assert.True(memory.TryGet([1], out _));
        Assert.Equal(3, memory.Count);

        // Mid 1 was remembered at minute 1: at minute 11 it is exactly as old as its retention and stays; a second later it goes.
        clock.Advance(TimeSpan.FromMinutes(7));
        Assert.True(memory.TryGet([1], out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(memory.TryGet([1], out _));
        Assert.True(memory.TryGet([3], out _));
        Assert.Equal(2, memory.Count);
    }
}
