using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// v1 clients in the rooms of v2 sessions see exactly what v1 promises: five-field frames (their TestClient reads v1
/// strictly, so a sixth field would fail the test), no <c>wsrooms.*</c> frame, no sign of a suspension or a resume.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class V1AlongsideV2Tests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task AV1MemberSeesTheV2MembersTrafficAsV1AndNothingOfTheirSessions()
    {
        var room = TestNames.Room("v2-mixed");
        await using var v1 = await fixture.EdgeA.ConnectAsync();
        await using var v1Other = await fixture.EdgeB.ConnectAsync();
        await v1.JoinAsync(room);
        await v1Other.JoinAsync(room);
        await using var v2 = await fixture.EdgeB.ConnectV2Async();
        await v2.JoinForAckAsync(room, """{"history": 10}""");

        await v2.PublishAsync(room, "chat", "with mid", "m1");
        await v2.SendAsync(room, "chat", "without mid");
        await v2.PublishAsync(room, "dm", "direct", "m2", dst: v1.Id);
        await v2.WaitForAckAsync("m2");
        v2.Abort();
        await v1Other.SendAsync(room, "chat", "while suspended");
        await using var resumed = await fixture.EdgeA.ResumeAsync(v2.CreateResumePayload());
        Assert.True(resumed.Resumed!.Resumed);
        Assert.Equal("while suspended", (await resumed.WaitForFrameAsync(f => f.Room == room && f.Event == "chat")).PayloadText);
        await resumed.PublishAsync(room, "chat", "after resume", "m3");
        await resumed.WaitForAckAsync("m3"); // logged before the marker, which comes from another edge
        await v1Other.SendAsync(room, "chat", "marker");

        var seen = await v1.CollectUntilAsync(m => m.PayloadText == "marker");
        Assert.Equal(
            [
                (EventNames.NewMember, "", v1Other.Id),
                (EventNames.NewMember, "", v2.Id),
                ("chat", v2.Id, "with mid"),
                ("chat", v2.Id, "without mid"),
                ("chat", v1Other.Id, "while suspended"),
                ("chat", v2.Id, "after resume"),
            ],
            seen.Where(m => m.Event != "dm").Select(m => (m.Event, m.Src, m.PayloadText)));
        Assert.Equal(v2.Id, seen.Single(m => m.Event == "dm").Src); // a direct message takes its own path: its place among the room's frames is not fixed
        Assert.DoesNotContain(seen, m => EventNames.IsProtocolReserved(m.Event));
    }

    [Fact]
    public async Task ResumeOnAV1SocketIsIgnored()
    {
        await using var client = await TestClient.ConnectAsync(new Uri(fixture.EdgeA.WebSocketUri + "?resume=1"));
        Assert.Null(client.Socket.SubProtocol);
        Assert.Equal(EventNames.JoinAck, client.FirstFrame!.Event); // sent at once, with no resume frame asked for
        var room = TestNames.Room("v2-v1resume");
        Assert.Equal([client.Id], await client.JoinAsync(room));
    }
}
