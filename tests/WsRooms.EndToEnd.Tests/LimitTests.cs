using System.Net.WebSockets;
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
/// WsRooms:Quotas, one test each: a client over a limit gets 1008 or an error frame; everyone else carries on.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class LimitTests(EdgeClusterFixture fixture)
{
    private static async Task<string> SendJoinAsync(TestClient client, string room)
    {
        await client.SendAsync(Message.FromText(room, EventNames.Join, client.Id, client.Id, client.Id));
        var answer = await client.WaitForAsync(m => m.Room == room && (m.Event == EventNames.JoinAck || m.Event == ErrorFrames.EventName));
        return answer.Event == EventNames.JoinAck ? "joined" : RoomAuthorizationTests.AssertError(answer, room, EventNames.Join);
    }

    /// <summary>A client that is not turned away: it still chats through the same edge.</summary>
    private static async Task AssertStillChatsAsync(EdgeServer edge)
    {
        var room = TestNames.Room("control");
        await using var a = await edge.ConnectAsync();
        await using var b = await edge.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await a.SendAsync(room, "chat", "still here");
        Assert.Equal("still here", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);
    }

    [Fact]
    public async Task AJoinPastTheRoomsPerConnectionLimitGetsTooManyRoomsAndNoMembership()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.Quotas.MaxRoomsPerConnection = 2);
        await using var client = await edge.ConnectAsync();
        var (r1, r2, r3) = (TestNames.Room(), TestNames.Room(), TestNames.Room());

        Assert.Equal("joined", await SendJoinAsync(client, r1));
        Assert.Equal("joined", await SendJoinAsync(client, r2));
        Assert.Equal("joined", await SendJoinAsync(client, r2)); // joining again is not another room
        Assert.Equal(ErrorFrames.TooManyRooms, await SendJoinAsync(client, r3));
        Assert.Empty(await fixture.Client.GetRoom(r3).GetMembersAsync());

        await client.LeaveAsync(r1);
        Assert.Equal("joined", await SendJoinAsync(client, r3));
        Assert.Equal(new[] { r2, r3 }.Order(StringComparer.Ordinal), (await fixture.Client.GetConnection(client.Id).GetInfoAsync())!.Rooms.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AJoinIntoAFullRoomGetsRoomFullAndTheMembersAreUntouched()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.Quotas.MaxMembersPerRoom = 2);
        var room = TestNames.Room();
        await using var a = await edge.ConnectAsync();
        await using var b = await edge.ConnectAsync();
        await using var c = await edge.ConnectAsync();
        Assert.Equal("joined", await SendJoinAsync(a, room));
        Assert.Equal("joined", await SendJoinAsync(b, room));

        Assert.Equal(ErrorFrames.RoomFull, await SendJoinAsync(c, room));
        Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), (await fixture.Client.GetRoom(room).GetMembersAsync()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(room, (await fixture.Client.GetConnection(c.Id).GetInfoAsync())!.Rooms);

        // Nobody was told of c; a and b still talk.
        await a.SendAsync(room, "chat", "marker");
        var before = await b.CollectUntilAsync(x => x.Event == "chat");
        Assert.DoesNotContain(before, x => x.Event == EventNames.NewMember);

        // A place frees up: c gets in.
        await a.LeaveAsync(room);
        Assert.Equal("joined", await SendJoinAsync(c, room));
    }

    [Fact]
    public async Task AClientOverItsMessageRateIsClosedWith1008AndOthersAreUnaffected()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            o.Quotas.MessagesPerSecond = 20;
            o.Quotas.MessageBurst = 20;
        });
        var room = TestNames.Room();
        await using var flooder = await edge.ConnectAsync();
        await using var peer = await edge.ConnectAsync();
        await flooder.JoinAsync(room);
        await peer.JoinAsync(room);

        try
        {
            for (var i = 0; i < 200; i++)
            {
                await flooder.SendAsync(room, "chat", $"flood {i}");
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The server closed it mid-flood.
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await flooder.WaitForCloseAsync());
        await peer.WaitForAsync(m => m.Room == room && m.Event == EventNames.MemberLeft && m.PayloadText == flooder.Id);
        await AssertStillChatsAsync(edge);
    }

    [Fact]
    public async Task AClientOverItsByteRateIsClosedWith1008()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            o.Limits.MaxMessageBytes = 4096;
            o.Quotas.BytesPerSecond = 4096;
        });
        var room = TestNames.Room();
        await using var client = await edge.ConnectAsync();
        await client.JoinAsync(room);

        // Small frames pass; a few large ones in a row exceed 4 KiB/s.
        await client.SendAsync(room, "chat", "small");
        var big = new string('x', 3000);
        try
        {
            for (var i = 0; i < 20; i++)
            {
                await client.SendAsync(room, "chat", big);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
        await AssertStillChatsAsync(edge);
    }

    /// <summary>Per edge and per IP look the same from one test process: every client is 127.0.0.1.</summary>
    [Theory]
    [InlineData("MaxConnections")]
    [InlineData("MaxConnectionsPerIp")]
    public async Task ConnectionsPastTheEdgeOrIpLimitAreClosedWith1008AndAFreedPlaceIsReused(string limit)
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            if (limit == "MaxConnections")
            {
                o.Quotas.MaxConnections = 2;
            }
            else
            {
                o.Quotas.MaxConnectionsPerIp = 2;
            }
        });
        await using var a = await edge.ConnectAsync();
        var b = await edge.ConnectAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await RefusedCloseAsync(edge.WebSocketUri));

        await b.DisposeAsync();
        await WaitUntilAsync(() => edge.ConnectionCount() == 1);
        await using var c = await edge.ConnectAsync();
        Assert.NotEmpty(c.Id);
    }

    [Fact]
    public async Task ConnectionsPastThePerUserLimitAreClosedWith1008AndOtherUsersConnect()
    {
        await using var edge = await fixture.StartEdgeAsync(
            configureEdge: e => e.UseAuthorization(SubFromQuery),
            configureOptions: o => o.Quotas.MaxConnectionsPerUser = 2);
        await using var a1 = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?sub=ann"));
        await using var a2 = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?sub=ann"));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await RefusedCloseAsync(new Uri(edge.WebSocketUri + "?sub=ann")));

        await using var other = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?sub=ben"));
        Assert.NotEmpty(other.Id);
        await AssertStillChatsAsync(edge); // no sub claim: not counted per user
    }

    private static ValueTask<AuthorizeResult> SubFromQuery(HttpContext context) =>
        ValueTask.FromResult(AuthorizeResult.Allow(context.Request.Query.TryGetValue("sub", out var sub)
            ? new Dictionary<string, string> { ["sub"] = sub.ToString() }
            : null));

    /// <summary>Connects, expects no frame but a close, and returns its code.</summary>
    private static async Task<WebSocketCloseStatus?> RefusedCloseAsync(Uri uri)
    {
        await using var client = await TestClient.ConnectAsync(uri, read: false);
        client.StartReading();
        var status = await client.WaitForCloseAsync();
        Assert.Null(client.FirstFrame); // never registered: not even root's join_ack
        return status;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestClient.DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true in time.");
            }

            await Task.Delay(20);
        }
    }
}
