using System.Net.WebSockets;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.EndToEnd.Tests;

/// <summary>The seed's rule: a client that does not read while 256 frames wait for it is dropped, and only it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SlowConsumerTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AClientThatStopsReadingIsClosedWith1013AndTheRoomCarriesOn()
    {
        var room = Names.Room();
        await using var reader = await fixture.EdgeA.ConnectAsync();
        await using var slow = await fixture.EdgeA.ConnectAsync();
        await reader.JoinAsync(room);
        await slow.JoinAsync(room);
        var slowId = slow.Id;
        await reader.WaitForAsync(m => m.Event == EventNames.NewMember);

        // The slow client stops reading. Frames of 8 KiB fill the kernel's socket buffers, then the edge's
        // queue of 256; the next one overflows it. Bounded: at most 10,000 frames (80 MiB), at most 60 s.
        slow.PauseReading();
        var roomGrain = fixture.Client.GetRoom(room);
        var payload = new byte[8 * 1024];
        var overflowed = reader.WaitForAsync(m => m.Event == EventNames.MemberLeft && m.PayloadText == slowId, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10_000 && !overflowed.IsCompleted; i++)
        {
            await roomGrain.PublishAsync("flood", payload);
        }

        await overflowed;
        Assert.DoesNotContain(slowId, await roomGrain.GetMembersAsync());

        slow.ResumeReading();
        Assert.Equal((WebSocketCloseStatus)1013, await slow.WaitForCloseAsync(TimeSpan.FromSeconds(30)));

        // The others are unaffected: the reader still gets what is published next.
        await roomGrain.PublishAsync("after", "still here"u8.ToArray());
        Assert.Equal("still here", (await reader.WaitForAsync(m => m.Event == "after", TimeSpan.FromSeconds(30))).PayloadText);
    }
}
