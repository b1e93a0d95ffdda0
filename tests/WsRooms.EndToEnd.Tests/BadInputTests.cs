using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>Every bad input gets its close code (docs/protocol.md), and the clients around it lose nothing.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class BadInputTests(EdgeClusterFixture fixture)
{
    public static TheoryData<string, int> MalformedFrames => new()
    {
        { "short-header", 1002 },
        { "length-past-the-end", 1002 },
        { "trailing-bytes", 1002 },
        { "empty-room", 1002 },
        { "empty-event", 1002 },
        { "empty-message", 1002 },
        { "room-over-limit", 1009 },
        { "message-over-limit", 1009 },
        { "invalid-utf8-room", 1007 },
        { "invalid-utf8-event", 1007 },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task AMalformedFrameClosesOnlyItsOwnConnectionWithItsCode(string shape, int expectedCode)
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await using var offender = await fixture.EdgeA.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await offender.JoinAsync(room);

        await a.SendAsync(room, "chat", "before");
        await offender.SendRawAsync(Build(shape, room));
        await a.SendAsync(room, "chat", "after");

        Assert.Equal((WebSocketCloseStatus)expectedCode, await offender.WaitForCloseAsync());
        var left = await a.WaitForAsync(m => m.Event == EventNames.MemberLeft);
        Assert.Equal(offender.Id, left.PayloadText);
        Assert.Equal("before", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);
        Assert.Equal("after", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);
    }

    [Fact]
    public async Task ATextMessageClosesWith1003()
    {
        await using var a = await fixture.EdgeA.ConnectAsync();
        await a.SendRawAsync(Encoding.UTF8.GetBytes("{\"event\":\"join\"}"), WebSocketMessageType.Text);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await a.WaitForCloseAsync());
    }

    [Fact]
    public async Task AnOversizedMessageSentInFragmentsClosesWith1009()
    {
        await using var a = await fixture.EdgeB.ConnectAsync();
        var piece = new byte[16 * 1024];
        for (var i = 0; i < 5; i++)
        {
            await a.SendRawAsync(piece, endOfMessage: false);
        }

        await a.SendRawAsync(piece, endOfMessage: true);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await a.WaitForCloseAsync());
    }

    [Fact]
    public async Task FramesQueuedBeforeACloseArriveBeforeIt()
    {
        await using var a = await fixture.EdgeA.ConnectAsync();
        for (var i = 0; i < 20; i++)
        {
            await a.SendAsync(EventNames.RootRoom, "echo", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await a.SendRawAsync("text"u8.ToArray(), WebSocketMessageType.Text);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await a.WaitForCloseAsync());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await a.WaitForAsync(m => m.Event == "echoed")).PayloadText);
        }
    }

    [Fact]
    public async Task AMessageSentInFragmentsIsDeliveredWhole()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        var payload = new byte[40 * 1024];
        Random.Shared.NextBytes(payload);
        var frame = new Message(room, "big", "", a.Id, payload).ToBytes();

        // Uneven pieces, the first of one byte: the edge sees data after its zero-byte wait, then reads on.
        var offset = 0;
        foreach (var size in new[] { 1, 7, 4096, 16 * 1024 })
        {
            await a.SendRawAsync(frame.AsMemory(offset, size), endOfMessage: false);
            offset += size;
        }

        await a.SendRawAsync(frame.AsMemory(offset), endOfMessage: true);

        Assert.Equal(payload, (await b.WaitForAsync(m => m.Event == "big")).Payload);
    }

    [Fact]
    public async Task AMessageExactlyAtTheLimitIsAccepted()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        var overhead = new Message(room, "big", "", a.Id, []).GetFrameLength();
        var payload = new byte[FrameLimits.Default.MaxMessageBytes - overhead];
        Random.Shared.NextBytes(payload);
        await a.SendAsync(room, "big", payload);

        Assert.Equal(payload, (await b.WaitForAsync(m => m.Event == "big")).Payload);
    }

    [Fact]
    public async Task AFloodOfMalformedConnectionsLeavesOthersTalking()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        var offenders = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? fixture.EdgeA : fixture.EdgeB).ConnectAsync()));
        const int messages = 200;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < messages; i++)
            {
                await a.SendAsync(room, "seq", i.ToString());
            }
        });
        await Task.WhenAll(offenders.Select(o => o.SendRawAsync(Build("length-past-the-end", room))));
        await sending;

        foreach (var offender in offenders)
        {
            Assert.Equal(WebSocketCloseStatus.ProtocolError, await offender.WaitForCloseAsync());
            await offender.DisposeAsync();
        }

        for (var i = 0; i < messages; i++)
        {
            Assert.Equal(i.ToString(), (await b.WaitForAsync(m => m.Event == "seq")).PayloadText);
        }
    }

    [Fact]
    public async Task AnyMethodButGetIsRefusedWith405()
    {
        using var http = new HttpClient();
        var response = await http.PostAsync(new Uri(fixture.EdgeA.HttpUri, "/ws"), new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task AGetThatIsNotAnUpgradeIsRefusedWith400()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(fixture.EdgeA.HttpUri, "/ws"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AForeignOriginIsRefusedWith403AndTheOwnOriginPasses()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade.StatusAsync(fixture.EdgeA.WebSocketUri, o => o.SetRequestHeader("Origin", "http://evil.example")));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Upgrade.StatusAsync(fixture.EdgeA.WebSocketUri, o => o.SetRequestHeader("Origin", $"http://{fixture.EdgeA.HttpUri.Authority}")));
    }

    [Fact]
    public async Task AFailedAuthorizationIsRefusedWith401AndClaimsReachHandlers()
    {
        await using var edge = await fixture.StartEdgeAsync(configureEdge: e => e
            .UseAuthorization(context => ValueTask.FromResult(context.Request.Query["token"] == "good"
                ? Edge.Security.AuthorizeResult.Allow(new Dictionary<string, string> { ["user"] = "alice" })
                : Edge.Security.AuthorizeResult.Deny("bad token")))
            .AddHandler("whoami", (connection, message, _) =>
            {
                connection.TrySend(Message.FromText(message.Room, "you-are", connection.Id, "", connection.Claims["user"]));
                return ValueTask.CompletedTask;
            }));

        Assert.Equal(HttpStatusCode.Unauthorized, await Upgrade.StatusAsync(new Uri(edge.WebSocketUri + "?token=bad")));

        await using var client = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?token=good"));
        await client.SendAsync(EventNames.RootRoom, "whoami");
        Assert.Equal("alice", (await client.WaitForAsync(m => m.Event == "you-are")).PayloadText);
    }


    private static byte[] Build(string shape, string room)
    {
        var valid = Message.FromText(room, "chat", "", "", "payload").ToBytes();
        switch (shape)
        {
            case "short-header":
                return [0, 0, 0];
            case "length-past-the-end":
                var cut = valid.ToArray();
                BinaryPrimitives.WriteUInt32BigEndian(cut.AsSpan(cut.Length - 11), 1000); // payload length
                return cut;
            case "trailing-bytes":
                return [.. valid, 1, 2, 3];
            case "empty-room":
                return Message.FromText("", "chat", "", "", "x").ToBytes();
            case "empty-event":
                return Message.FromText(room, "", "", "", "x").ToBytes();
            case "empty-message":
                return [];
            case "room-over-limit":
                return Message.FromText(new string('r', 129), "chat", "", "", "x").ToBytes();
            case "message-over-limit":
                return new Message(room, "chat", "", "", new byte[FrameLimits.Default.MaxMessageBytes]).ToBytes();
            case "invalid-utf8-room":
                return [0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 4, .. "chat"u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            case "invalid-utf8-event":
                return [0, 0, 0, 4, .. Encoding.UTF8.GetBytes(room)[..4], 0, 0, 0, 1, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }
}
