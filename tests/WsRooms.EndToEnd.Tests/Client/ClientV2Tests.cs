using WsRooms.Client;
using WsRooms.Edge.Security;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.Client;

/// <summary>The .NET client's v2 session (src/Client) against two real edge hosts and a two-silo cluster.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class ClientV2Tests(EdgeClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TestClient.DefaultTimeout;

    private Uri EdgeA => fixture.EdgeA.WebSocketUri;
    private Uri EdgeB => fixture.EdgeB.WebSocketUri;

    [Fact]
    public async Task V2IsTheDefaultAndV1CanStillBeAskedFor()
    {
        await using var v2 = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var v1 = await WsRoomsClient.ConnectAsync(EdgeA, new WsRoomsClientOptions { Protocol = ProtocolVersion.V1 });

        Assert.Equal(ProtocolVersion.V2, v2.Protocol);
        Assert.Equal(ProtocolVersion.V1, v1.Protocol);
        await Assert.ThrowsAsync<InvalidOperationException>(() => v1.PublishAsync(TestNames.Room(), "chat", "x"));
    }

    [Fact]
    public async Task AnAcknowledgedPublishReturnsThePositionTheOtherMembersSee()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await NextAsync(a, f => f.Message.Event == EventNames.NewMember);

        var first = await a.PublishAsync(room, "chat", "one");
        var second = await a.PublishAsync(room, "chat", "two");

        Assert.Equal(first + 1, second);
        var got = await NextAsync(b, f => f.Message.Event == "chat");
        Assert.Equal(("one", first), (got.Message.PayloadText, got.Position));
        got = await NextAsync(b, f => f.Message.Event == "chat");
        Assert.Equal(("two", second), (got.Message.PayloadText, got.Position));
        Assert.Equal(second, a.GetPosition(room));
    }

    [Fact]
    public async Task AnAcknowledgementRefusalFailsThePublishWithItsCode()
    {
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);

        var notMember = await Assert.ThrowsAsync<WsRoomsErrorException>(() => a.PublishAsync(TestNames.Room(), "chat", "x"));
        Assert.Equal(ErrorFrames.NotMember, notMember.Code);

        var unknown = await Assert.ThrowsAsync<WsRoomsErrorException>(() => a.PublishDirectAsync(Guid.NewGuid().ToString(), "dm", "x"));
        Assert.Equal(ErrorFrames.UnknownDst, unknown.Code);
        Assert.True(a.IsConnected);
    }

    [Fact]
    public async Task JoinWithHistoryGetsTheLastFramesInOrderBeforeTheLiveOnes()
    {
        var room = TestNames.Room();
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA);
        await a.JoinAsync(room);
        var positions = new List<long>();
        for (var i = 1; i <= 5; i++)
        {
            positions.Add(await a.PublishAsync(room, "line", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        var members = await b.JoinWithHistoryAsync(room, 3);
        Assert.Contains(a.Id, members);
        var live = await a.PublishAsync(room, "line", "6");

        var lines = new List<(string, long)>();
        while (lines.Count < 4)
        {
            var frame = await NextAsync(b, f => f.Message.Event == "line");
            lines.Add((frame.Message.PayloadText, frame.Position));
        }

        Assert.Equal([("3", positions[2]), ("4", positions[3]), ("5", positions[4]), ("6", live)], lines);
    }

    [Fact]
    public async Task ADeniedJoinFailsJoinAsyncWithTheCodeOnBothVersions()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            o.Rooms.DefaultPolicy = RoomPolicy.Deny;
            o.Rooms.Rules.Add(new RoomRule { Pattern = "public.*" });
        });

        foreach (var protocol in new[] { ProtocolVersion.V2, ProtocolVersion.V1 })
        {
            await using var client = await WsRoomsClient.ConnectAsync(edge.WebSocketUri, new WsRoomsClientOptions { Protocol = protocol });
            using var timeout = new CancellationTokenSource(Timeout);
            var denied = await Assert.ThrowsAsync<WsRoomsErrorException>(() => client.JoinAsync("private." + TestNames.Room(), timeout.Token));
            Assert.Equal((ErrorFrames.JoinDenied, EventNames.Join), (denied.Code, denied.Event));
            Assert.Equal([client.Id], await client.JoinAsync("public." + TestNames.Room(), timeout.Token));
        }
    }

    [Fact]
    public async Task AnAbortedSocketResumesOnTheOtherEdgeWithEveryFrameOnce()
    {
        var room = TestNames.Room();
        var resumed = new TaskCompletionSource<WsRoomsResume>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = await WsRoomsClient.ConnectAsync(EdgeA, new WsRoomsClientOptions
        {
            ResumeUris = [EdgeA, EdgeB],
            OnResumed = r => resumed.TrySetResult(r),
        });
        await using var b = await WsRoomsClient.ConnectAsync(EdgeB);
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await NextAsync(a, f => f.Message.Event == EventNames.NewMember);
        var id = a.Id;
        await b.PublishAsync(room, "n", "0");
        await NextAsync(a, f => f.Message.Event == "n");

        a.AbortSocket();
        // While a is away: b publishes, and a sends (queued or lost with the socket; either way sent again).
        for (var i = 1; i <= 5; i++)
        {
            await b.PublishAsync(room, "n", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await a.SendAsync(room, "from-a", "queued");

        var resume = await resumed.Task.WaitAsync(Timeout);
        Assert.True(resume.Resumed);
        Assert.Equal(EdgeB, resume.Uri);
        Assert.Equal((id, id), (resume.Id, a.Id));
        Assert.True(resume.Rooms[room]);

        for (var i = 1; i <= 5; i++)
        {
            var frame = await NextAsync(a, f => f.Message.Event == "n");
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), frame.Message.PayloadText);
        }

        var fromA = await NextAsync(b, f => f.Message.Event == "from-a");
        Assert.Equal((a.Id, "queued"), (fromA.Message.Src, fromA.Message.PayloadText));

        // One more round trip both ways after the resume: nothing of before comes twice.
        var after = await a.PublishAsync(room, "from-a", "after");
        var next = await NextAsync(b, f => f.Message.Event == "from-a");
        Assert.Equal(("after", after), (next.Message.PayloadText, next.Position));
        await b.PublishAsync(room, "n", "6");
        Assert.Equal("6", (await NextAsync(a, f => f.Message.Event == "n")).Message.PayloadText);
    }

    // Skips frames until one matches; a timeout is a failure, never a sleep.
    private static async Task<WsRoomsFrame> NextAsync(WsRoomsClient client, Func<WsRoomsFrame, bool> match)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                var frame = await client.ReceiveFrameAsync(timeout.Token);
                if (match(frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Client {client.Id}: the expected frame did not arrive within {Timeout}.");
        }
    }
}
