using System.Net.WebSockets;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>A client that does not read while 256 frames wait for it is dropped, and only it (docs/protocol.md).</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class SlowConsumerTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task AClientThatStopsReadingIsClosedWith1013AndTheRoomCarriesOn()
    {
        var flooded = TestNames.Room("flooded");
        var quiet = TestNames.Room("quiet");
        await using var watcher = await fixture.EdgeA.ConnectAsync();
        await using var slow = await fixture.EdgeA.ConnectAsync();
        await watcher.JoinAsync(quiet);
        await slow.JoinAsync(quiet);
        await slow.JoinAsync(flooded);
        var slowId = slow.Id;
        await watcher.WaitForAsync(m => m.Event == EventNames.NewMember);

        // The slow client stops reading. Frames of 8 KiB fill the kernel's socket buffers, then the edge's
        // queue of 256; the next one overflows it. Bounded: at most 10,000 frames (80 MiB), at most 60 s.
        // The watcher is not in the flooded room (on a busy machine a test reader could fall behind too);
        // it learns of the drop from the quiet room, which the slow client leaves with all the others.
        slow.PauseReading();
        var floodedRoom = fixture.Client.GetRoom(flooded);
        var payload = new byte[8 * 1024];
        var dropped = watcher.WaitForAsync(m => m.Event == EventNames.MemberLeft && m.PayloadText == slowId, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10_000 && !dropped.IsCompleted; i++)
        {
            await floodedRoom.PublishAsync("flood", payload);
        }

        Assert.Equal(quiet, (await dropped).Room);
        Assert.DoesNotContain(slowId, await floodedRoom.GetMembersAsync());

        slow.ResumeReading();
        Assert.Equal((WebSocketCloseStatus)1013, await slow.WaitForCloseAsync(TimeSpan.FromSeconds(30)));

        // The room carries on: a new member hears what is published next.
        await using var newcomer = await fixture.EdgeB.ConnectAsync();
        await newcomer.JoinAsync(flooded);
        await floodedRoom.PublishAsync("after", "still here"u8.ToArray());
        Assert.Equal("still here", (await newcomer.WaitForAsync(m => m.Event == "after", TimeSpan.FromSeconds(30))).PayloadText);
    }
}
