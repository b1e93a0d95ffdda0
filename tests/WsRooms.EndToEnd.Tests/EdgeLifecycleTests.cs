using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Orleans.Runtime;
using WsRooms.Delivery;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Streaming;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>An edge host that stops gracefully tells its clients (1001) and takes them out of their rooms at once.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class EdgeLifecycleTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task StoppingAnEdgeClosesItsClientsWith1001AndTheyLeaveTheirRooms()
    {
        var room = TestNames.Room();
        await using var stays = await fixture.EdgeA.ConnectAsync();
        var edge = await fixture.StartEdgeAsync();
        await using var goes = await edge.ConnectAsync();
        await stays.JoinAsync(room);
        await goes.JoinAsync(room);

        await edge.StopAsync();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await goes.WaitForCloseAsync());
        Assert.Equal(goes.Id, (await stays.WaitForAsync(m => m.Event == EventNames.MemberLeft)).PayloadText);
        Assert.Equal([stays.Id], await fixture.Client.GetRoom(room).GetMembersAsync());

        // And it gave up its delivery stream: the silos have no subscriber left to call.
        var stream = StreamId.Create(EdgeStreams.Namespace, edge.EdgeId);
        var rendezvous = fixture.Client.GetGrain<IPushStreamRendezvousGrain>(PushStreamProvider.RendezvousKey(EdgeStreams.ProviderName, stream));
        Assert.Empty(await rendezvous.GetConsumersAsync());
        await edge.DisposeAsync();
    }

    [Fact]
    public async Task ClientsOfAnEdgeThatStoppedDoNotAffectBroadcastsToTheRest()
    {
        var room = TestNames.Room();
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);
        await using (var edge = await fixture.StartEdgeAsync())
        {
            await using var c = await edge.ConnectAsync();
            await c.JoinAsync(room);
        }

        await a.SendAsync(room, "chat", "after the third edge left");
        Assert.Equal("after the third edge left", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);
    }

    [Fact]
    public async Task AClientThatAnswersNoPingIsDroppedAndLeavesItsRooms()
    {
        var room = TestNames.Room();
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
            o.KeepAliveTimeout = TimeSpan.FromMilliseconds(500);
        });
        await using var watcher = await fixture.EdgeA.ConnectAsync();
        // The client sends no keepalives of its own, and answers pings only while it reads.
        await using var silent = await edge.ConnectAsync(configure: o => o.KeepAliveInterval = TimeSpan.Zero);
        await watcher.JoinAsync(room);
        await silent.JoinAsync(room);

        // A pending receive would still answer pings: let the one in flight end on an echo, then read no more.
        silent.PauseReading();
        await silent.SendAsync(EventNames.RootRoom, "echo");

        var left = await watcher.WaitForAsync(m => m.Event == EventNames.MemberLeft);
        Assert.Equal(silent.Id, left.PayloadText);
        Assert.Equal(0, edge.ConnectionCount());
    }

    [Fact]
    public async Task APeerThatNeverAnswersTheCloseIsAbortedAfterTheCloseTimeout()
    {
        var closeTimeout = TimeSpan.FromMilliseconds(500);
        var requestEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var edge = await fixture.StartEdgeAsync(
            configureOptions: o =>
            {
                o.CloseTimeout = closeTimeout;
                o.KeepAliveInterval = TimeSpan.Zero; // only the close timeout may end this connection
            },
            configureApp: app => app.Use(async (HttpContext context, RequestDelegate next) =>
            {
                await next(context);
                if (context.Request.Path == "/ws")
                {
                    requestEnded.TrySetResult();
                }
            }));
        // Never reads, so it never sees the server's close frame and never answers it.
        await using var deaf = await edge.ConnectAsync(read: false, configure: o => o.KeepAliveInterval = TimeSpan.Zero);
        var started = System.Diagnostics.Stopwatch.StartNew();

        await deaf.SendRawAsync("not binary"u8.ToArray(), WebSocketMessageType.Text);

        await requestEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // .NET timers count whole milliseconds and may fire a fraction of one early (CI saw 499.8 ms),
        // so allow a small margin; an edge that did not wait would abort within a few milliseconds.
        var timerSlack = TimeSpan.FromMilliseconds(25);
        Assert.True(started.Elapsed >= closeTimeout - timerSlack, $"aborted after {started.Elapsed}, before the close timeout");
        Assert.Equal(0, edge.ConnectionCount());
        deaf.StartReading(); // lets its disposal see the closed socket at once
    }

    [Fact]
    public async Task AHandlersTokenFiresWhenItsClientVanishes()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var edge = await fixture.StartEdgeAsync(configureEdge: e => e.AddHandler("wait", async (_, _, cancellationToken) =>
        {
            waiting.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
        }));
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(EventNames.RootRoom, "wait");
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        client.Socket.Abort();

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AHandlerThatThrowsLeavesTheConnectionOpen()
    {
        await using var edge = await fixture.StartEdgeAsync(configureEdge: e => e.AddHandler("boom", (_, _, _) => throw new InvalidOperationException("handler bug")));
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(EventNames.RootRoom, "boom");
        await client.SendAsync(EventNames.RootRoom, "echo", "still open");

        Assert.Equal("still open", (await client.WaitForAsync(m => m.Event == "echoed")).PayloadText);
    }
}
