using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WsRooms.Edge;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Security;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// WsRooms:Rooms with DefaultPolicy Deny: joins and broadcasts need a rule or a claim; a refusal is an error frame
/// <c>(room, "wsrooms.error", "", "", {"code", "room", "event"})</c> and changes nothing; server-side calls bypass it.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class RoomAuthorizationTests(EdgeClusterFixture fixture)
{
    /// <summary>An edge whose hook takes the claims from the query (?sub=…&amp;rooms=…&amp;join=…), with Deny rules.</summary>
    private Task<EdgeServer> StartDenyEdgeAsync(Action<WsRoomsBuilder>? configureEdge = null) =>
        fixture.StartEdgeAsync(
            configureEdge: e =>
            {
                e.UseAuthorization(ClaimsFromQuery);
                configureEdge?.Invoke(e);
            },
            configureOptions: o =>
            {
                o.Rooms.DefaultPolicy = RoomPolicy.Deny;
                o.Rooms.Rules.Add(new RoomRule { Pattern = "public.*" });
                o.Rooms.Rules.Add(new RoomRule { Pattern = "announce.*", Publish = false });
            });

    private static ValueTask<AuthorizeResult> ClaimsFromQuery(HttpContext context)
    {
        var claims = new Dictionary<string, string>();
        foreach (var (key, claim) in new[] { ("sub", "sub"), ("rooms", "rooms"), ("join", "rooms.join"), ("publish", "rooms.publish") })
        {
            if (context.Request.Query.TryGetValue(key, out var value))
            {
                claims[claim] = value.ToString();
            }
        }

        return ValueTask.FromResult(AuthorizeResult.Allow(claims));
    }

    private static Task<TestClient> ConnectAsync(EdgeServer edge, string query = "") =>
        TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?" + query));

    private static async Task<string> SendJoinAsync(TestClient client, string room)
    {
        await client.SendAsync(Message.FromText(room, EventNames.Join, client.Id, client.Id, client.Id));
        var answer = await client.WaitForAsync(m => m.Room == room && (m.Event == EventNames.JoinAck || m.Event == ErrorFrames.EventName));
        return answer.Event == EventNames.JoinAck ? "joined" : AssertError(answer, room, EventNames.Join);
    }

    internal static string AssertError(Message frame, string room, string @event)
    {
        Assert.Equal((room, ErrorFrames.EventName, "", ""), (frame.Room, frame.Event, frame.Dst, frame.Src));
        using var json = JsonDocument.Parse(frame.Payload);
        Assert.Equal(room, json.RootElement.GetProperty("room").GetString());
        Assert.Equal(@event, json.RootElement.GetProperty("event").GetString());
        return json.RootElement.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task AClaimPatternLetsAClientJoinAndAnyoneElseGetsJoinDeniedAndNoMembership()
    {
        await using var edge = await StartDenyEdgeAsync();
        var room = TestNames.Room("chat.");
        await using var alice = await ConnectAsync(edge, "sub=alice&rooms=news,chat.*");
        await using var bob = await ConnectAsync(edge, "sub=bob&rooms=other.*");

        Assert.Equal("joined", await SendJoinAsync(alice, room));
        Assert.Equal(ErrorFrames.JoinDenied, await SendJoinAsync(bob, room));

        Assert.Equal([alice.Id], await fixture.Client.GetRoom(room).GetMembersAsync());
        Assert.DoesNotContain(room, (await fixture.Client.GetConnection(bob.Id).GetInfoAsync())!.Rooms);
    }

    [Fact]
    public async Task ADeniedPublishIsDroppedWithAnErrorFrameAndTheRoomHearsNothing()
    {
        await using var edge = await StartDenyEdgeAsync();
        var room = TestNames.Room("chat.");
        await using var listener = await ConnectAsync(edge, "sub=lis&rooms=chat.*");
        await using var joinOnly = await ConnectAsync(edge, "sub=jo&join=chat.*");
        await using var speaker = await ConnectAsync(edge, "sub=sp&join=chat.*&publish=chat.*");
        await listener.JoinAsync(room);
        await joinOnly.JoinAsync(room);
        await speaker.JoinAsync(room);

        await joinOnly.SendAsync(room, "chat", "should not pass");
        var error = await joinOnly.WaitForAsync(m => m.Event == ErrorFrames.EventName);
        Assert.Equal(ErrorFrames.PublishDenied, AssertError(error, room, "chat"));

        await speaker.SendAsync(room, "chat", "marker");
        var before = await listener.CollectUntilAsync(m => m.Event == "chat" && m.PayloadText == "marker");
        Assert.DoesNotContain(before, m => m.Event == "chat");
    }

    [Fact]
    public async Task ConfiguredRulesOpenRoomsToEveryoneAndRootNeedsAGrantToPublish()
    {
        await using var edge = await StartDenyEdgeAsync();
        var open = TestNames.Room("public.");
        var readOnly = TestNames.Room("announce.");
        await using var a = await ConnectAsync(edge, "sub=a");
        await using var b = await ConnectAsync(edge, "sub=b");

        Assert.Equal("joined", await SendJoinAsync(a, open));
        Assert.Equal("joined", await SendJoinAsync(b, open));
        await a.SendAsync(open, "chat", "hello");
        Assert.Equal("hello", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);

        Assert.Equal("joined", await SendJoinAsync(a, readOnly));
        await a.SendAsync(readOnly, "chat", "nope");
        Assert.Equal(ErrorFrames.PublishDenied, AssertError(await a.WaitForAsync(m => m.Event == ErrorFrames.EventName), readOnly, "chat"));

        await a.SendAsync(EventNames.RootRoom, "shout", "everyone");
        Assert.Equal(ErrorFrames.PublishDenied, AssertError(await a.WaitForAsync(m => m.Event == ErrorFrames.EventName), EventNames.RootRoom, "shout"));
    }

    [Fact]
    public async Task ServerSideCallsAreNotSubjectToTheRules()
    {
        await using var edge = await StartDenyEdgeAsync();
        var secret = TestNames.Room("secret.");
        await using var bob = await ConnectAsync(edge, "sub=bob");
        Assert.Equal(ErrorFrames.JoinDenied, await SendJoinAsync(bob, secret));

        Assert.True(await fixture.Client.GetConnection(bob.Id).JoinAsync(secret));
        await bob.WaitForAsync(m => m.Room == secret && m.Event == EventNames.JoinAck);
        await fixture.Client.GetRoom(secret).PublishTextAsync("news", "from the server");
        Assert.Equal("from the server", (await bob.WaitForAsync(m => m.Room == secret && m.Event == "news")).PayloadText);
    }

    [Fact]
    public async Task AnApplicationsRoomAuthorizerReplacesTheRules()
    {
        await using var edge = await fixture.StartEdgeAsync(configureEdge: e => e.UseRoomAuthorizer(new NoXRooms()));
        await using var client = await edge.ConnectAsync();

        Assert.Equal(ErrorFrames.JoinDenied, await SendJoinAsync(client, TestNames.Room("x-")));
        Assert.Equal("joined", await SendJoinAsync(client, TestNames.Room("y-")));
    }

    [Fact]
    public async Task ClientsCannotForgeErrorFrames()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, ErrorFrames.EventName, "{\"code\":\"join_denied\"}");
        await a.SendAsync(room, "chat", "marker");
        var before = await b.CollectUntilAsync(m => m.Event == "chat");
        Assert.DoesNotContain(before, m => m.Event == ErrorFrames.EventName);
    }

    private sealed class NoXRooms : IRoomAuthorizer
    {
        public ValueTask<bool> IsAllowedAsync(IReadOnlyDictionary<string, string> claims, string room, RoomAction action, CancellationToken cancellationToken) =>
            ValueTask.FromResult(!room.StartsWith("x-", StringComparison.Ordinal));
    }
}
