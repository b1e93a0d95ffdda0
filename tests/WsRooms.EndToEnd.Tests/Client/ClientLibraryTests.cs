using System.Net.WebSockets;
using System.Threading.Channels;
using WsRooms.Client;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.Client;

/// <summary>The .NET client library (src/Client) against two real edge hosts and a two-silo cluster.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class ClientLibraryTests(EdgeClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TestClient.DefaultTimeout;

    private Uri EdgeA => fixture.EdgeA.WebSocketUri;
    private Uri EdgeB => fixture.EdgeB.WebSocketUri;

    [Fact]
    public async Task ConnectGivesACanonicalIdAndJoinReturnsEveryMemberAcrossEdges()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);

        Assert.True(Guid.TryParseExact(a.Id, "D", out _), $"'{a.Id}' is not a canonical UUID");
        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal([a.Id], await a.JoinAsync(room));
        Assert.Equal(new[] { a.Id, b.Id }.Order(), (await b.JoinAsync(room)).Order());
        Assert.Contains(room, b.Rooms);

        var announced = await NextAsync(a, m => m.Event == EventNames.NewMember);
        Assert.Equal((room, b.Id), (announced.Room, announced.PayloadText));
    }

    [Fact]
    public async Task BroadcastsAndDirectMessagesWithNonAsciiTextArriveAcrossEdges()
    {
        var room = TestNames.Room("café-☕-日本");
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "chat", "héllo ☕ 日本");
        var chat = await NextAsync(b, m => m.Event == "chat");
        Assert.Equal((room, "", a.Id, "héllo ☕ 日本"), (chat.Room, chat.Dst, chat.Src, chat.PayloadText));

        await b.SendDirectAsync(a.Id, "dm", "привет");
        var direct = await NextAsync(a, m => m.Event == "dm");
        Assert.Equal((EventNames.RootRoom, a.Id, b.Id, "привет"), (direct.Room, direct.Dst, direct.Src, direct.PayloadText));
    }

    [Fact]
    public async Task MessagesIsAnAsyncStreamInTheOrderSent()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        for (var i = 0; i < 100; i++)
        {
            await a.SendAsync(room, "n", BitConverter.GetBytes(i));
        }

        var received = new List<int>();
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var message in b.Messages.WithCancellation(timeout.Token))
        {
            Assert.Equal("n", message.Event);
            received.Add(BitConverter.ToInt32(message.Payload));
            if (received.Count == 100)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 100), received);
    }

    [Fact]
    public async Task LeaveIsAcknowledgedAndTheOthersGetMemberLeft()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await b.LeaveAsync(room);

        Assert.DoesNotContain(room, b.Rooms);
        var left = await NextAsync(a, m => m.Event == EventNames.MemberLeft);
        Assert.Equal((room, b.Id), (left.Room, left.PayloadText));
        await Assert.ThrowsAsync<ArgumentException>(() => b.LeaveAsync(EventNames.RootRoom));
    }

    [Fact]
    public async Task CallbacksGetEveryMessageInOrder()
    {
        var room = TestNames.Room();
        var received = Channel.CreateUnbounded<Message>();
        var options = new WsRoomsClientOptions
        {
            OnMessage = (message, _) => received.Writer.WriteAsync(message),
        };
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB, options);
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        await a.SendAsync(room, "first", "1");
        await a.SendAsync(room, "second", "2");

        using var timeout = new CancellationTokenSource(Timeout);
        Assert.Equal("first", (await received.Reader.ReadAsync(timeout.Token)).Event);
        Assert.Equal("second", (await received.Reader.ReadAsync(timeout.Token)).Event);
    }

    [Fact]
    public async Task AJoinByTheClusterArrivesAsAJoinAck()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);

        await fixture.Client.GetConnection(a.Id).JoinAsync(room);

        var ack = await NextAsync(a, m => m.Event == EventNames.JoinAck);
        Assert.Equal((room, a.Id), (ack.Room, ack.Src));
    }

    [Fact]
    public async Task CancellationIsHonoured()
    {
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveAsync(cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.JoinAsync(TestNames.Room(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WsRoomsClient.ConnectAsync(EdgeB, cancellationToken: cancelled.Token));

        // Nothing is addressed to a: a bounded wait ends by cancellation and the client stays usable.
        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveAsync(shortWait.Token));
        Assert.Equal([a.Id], await a.JoinAsync(TestNames.Room()));
    }

    [Fact]
    public async Task BadSendsAreRefusedBeforeTheyReachTheServer()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);

        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(room, EventNames.Join, ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(room, EventNames.NewMember, ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync("", "chat", ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(new string('é', 65), "chat", ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(room, "chat", new byte[64 * 1024]));

        Assert.True(a.IsConnected);
        Assert.Equal([a.Id], await a.JoinAsync(room));
    }

    [Fact]
    public async Task ClosingEndsTheMessagesAndTheOthersSeeTheConnectionLeave()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        var bId = b.Id;

        await b.CloseAsync();

        Assert.False(b.IsConnected);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await b.Completion.WaitAsync(Timeout));
        await foreach (var message in b.Messages)
        {
            Assert.Fail($"no message was expected after the close, got {message.Event}");
        }

        await Assert.ThrowsAsync<WsRoomsConnectionClosedException>(async () => await b.SendAsync(room, "chat", "late"));
        await Assert.ThrowsAsync<WsRoomsConnectionClosedException>(() => b.JoinAsync(room));
        await b.DisposeAsync();

        var left = await NextAsync(a, m => m.Event == EventNames.MemberLeft);
        Assert.Equal((room, bId), (left.Room, left.PayloadText));
    }

    [Fact]
    public async Task AnEndpointThatRefusesTheUpgradeFailsTheConnect()
    {
        var notWebSocket = new UriBuilder(EdgeA) { Path = "/nothing-here" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => WsRoomsClient.ConnectAsync(notWebSocket));
    }

    // Skips messages until one matches; a timeout is a failure, never a sleep.
    private static async Task<Message> NextAsync(WsRoomsClient client, Func<Message, bool> match)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                var message = await client.ReceiveAsync(timeout.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Client {client.Id}: the expected message did not arrive within {Timeout}.");
        }
    }
}
