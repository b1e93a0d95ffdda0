using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>Client events named <c>wsrooms.*</c> are dropped (docs/protocol.md, "Reserved names"), from v2 and v1 clients alike.</summary>
[Collection(V2ClusterCollection.Name)]
public sealed class ReservedEventTests(V2ClusterFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReservedClientEventsAreDroppedAndTheConnectionCarriesOn(bool v2)
    {
        var room = TestNames.Room("v2-reserved");
        await using var receiver = await fixture.EdgeB.ConnectV2Async();
        await using var sender = v2 ? await fixture.EdgeA.ConnectV2Async() : await fixture.EdgeA.ConnectAsync();
        await receiver.JoinForAckAsync(room);
        await sender.JoinAsync(room);

        foreach (var @event in new[] { EventNames.Ack, EventNames.Resume, EventNames.Session, EventNames.Resumed, EventNames.Error, "wsrooms.custom" })
        {
            await sender.SendAsync(room, @event, """{"seq": 1}""");
            await sender.SendAsync(EventNames.RootRoom, @event, """{"token": "x"}""");
            await sender.SendAsync(room, @event, "direct", dst: receiver.Id);
        }

        await sender.SendAsync(room, "chat", "marker");
        var seen = await receiver.CollectFramesUntilAsync(f => f.PayloadText == "marker");
        Assert.DoesNotContain(seen, f => EventNames.IsProtocolReserved(f.Event));
    }
}
