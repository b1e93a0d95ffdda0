using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>
/// Resume tokens (docs/protocol.md, "Resume"): single-use, bound to the session and to the authenticated identity; a
/// failed resume carries on as a fresh v2 connect.
/// </summary>
[Collection(V2ClusterCollection.Name)]
public sealed class SessionTokenTests(V2ClusterFixture fixture)
{
    [Fact]
    public async Task ATokenResumesOnceAndASecondUseIsAFreshSession()
    {
        var room = TestNames.Room("v2-once");
        await using var client = await fixture.EdgeA.ConnectV2Async();
        await client.JoinForAckAsync(room);
        var used = client.CreateResumePayload();

        client.Abort();
        var resumed = await fixture.EdgeB.ResumeAsync(used);
        Assert.True(resumed.Resumed!.Resumed);
        var current = resumed.CreateResumePayload();
        resumed.Abort();
        await resumed.DisposeAsync();

        await using var again = await fixture.EdgeB.ResumeAsync(used);
        Assert.False(again.Resumed!.Resumed);
        Assert.Null(again.Resumed.Token);
        Assert.Empty(again.Resumed.Rooms);
        Assert.NotEqual(client.Id, again.Id);
        Assert.StartsWith(again.Id + ".", again.SessionToken); // the fresh session's own token, from wsrooms.session

        // The token the resume gave still resumes the session, in its room.
        await using var last = await fixture.EdgeA.ResumeAsync(current);
        Assert.True(last.Resumed!.Resumed);
        Assert.Equal(client.Id, last.Id);
        Assert.Equal([room], last.Resumed.Rooms.Keys);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("not-json")]
    public async Task AnUnknownTokenOrAPayloadThatIsNotAResumeIsAFreshSession(string kind)
    {
        await using var client = await TestClient.OpenV2Async(fixture.EdgeA.WebSocketUri, resume: true);
        var payload = kind == "unknown"
            ? new ResumePayload(Guid.NewGuid() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", new Dictionary<string, long>(), null).ToMessage()
            : new Message(EventNames.RootRoom, EventNames.Resume, "", "", "{not json"u8.ToArray());
        await client.SendAsync(payload);

        var ack = await client.NextFrameAsync();
        var session = await client.NextFrameAsync();
        var resumed = await client.NextFrameAsync();
        Assert.Equal((EventNames.RootRoom, EventNames.JoinAck), (ack.Room, ack.Event));
        Assert.Equal((EventNames.RootRoom, EventNames.Session), (session.Room, session.Event));
        Assert.Equal((EventNames.RootRoom, EventNames.Resumed), (resumed.Room, resumed.Event));
        Assert.False(ResumedPayload.Parse(resumed.Message.Payload).Resumed);
    }

    [Fact]
    public async Task AResumeByAnotherUserIsRefusedAndLeavesTheSessionToItsOwner()
    {
        await using var jwtA = await fixture.Cluster.StartEdgeAsync(o => o.ConfigureOptions += Tokens.UseJwt);
        await using var jwtB = await fixture.Cluster.StartEdgeAsync(o => o.ConfigureOptions += Tokens.UseJwt);
        var room = TestNames.Room("v2-foreign");
        await using var alice = await TestClient.ConnectV2Async(Tokens.WithToken(jwtA.WebSocketUri, Tokens.Mint("alice")));
        await alice.JoinForAckAsync(room);
        alice.Abort();

        await using var mallory = await TestClient.ResumeAsync(Tokens.WithToken(jwtB.WebSocketUri, Tokens.Mint("mallory")), alice.CreateResumePayload());
        Assert.False(mallory.Resumed!.Resumed);
        Assert.NotEqual(alice.Id, mallory.Id);

        await using var anonymous = await fixture.EdgeB.ResumeAsync(alice.CreateResumePayload());
        Assert.False(anonymous.Resumed!.Resumed);

        await using var back = await TestClient.ResumeAsync(Tokens.WithToken(jwtB.WebSocketUri, Tokens.Mint("alice")), alice.CreateResumePayload());
        Assert.True(back.Resumed!.Resumed);
        Assert.Equal(alice.Id, back.Id);
        Assert.Equal([room], back.Resumed.Rooms.Keys);
    }
}
