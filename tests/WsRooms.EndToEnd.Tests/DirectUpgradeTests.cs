using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using WsRooms.Edge;
using WsRooms.Edge.Security;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// <c>WsRooms:DirectUpgrade</c>: the edge serves WebSocket upgrades of its path straight from Kestrel's connection.
/// Clients see the same protocol and the same refusals; the application's own middleware does not run for them;
/// every other request takes the usual path.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class DirectUpgradeTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task UpgradesBypassTheApplicationPipelineAndTheProtocolWorksAcrossEdges()
    {
        var pipelineHits = new List<string>();
        await using var edge = await fixture.StartEdgeAsync(
            configureOptions: o => o.DirectUpgrade = true,
            configureApp: app => app.Use(async (HttpContext context, RequestDelegate next) =>
            {
                lock (pipelineHits)
                {
                    pipelineHits.Add(context.Request.Path);
                }

                await next(context);
            }));
        var room = TestNames.Room();
        await using var direct = await edge.ConnectAsync();
        await using var other = await fixture.EdgeA.ConnectAsync();
        Assert.True(ConnectionIds.TryGetEdgeTag(direct.Id, out _));
        await direct.JoinAsync(room);
        await other.JoinAsync(room);

        await other.SendAsync(room, "chat", "to the direct edge");
        Assert.Equal("to the direct edge", (await direct.WaitForAsync(m => m.Event == "chat")).PayloadText);
        await direct.SendAsync(room, "chat", "from it");
        Assert.Equal(direct.Id, (await other.WaitForAsync(m => m.Event == "chat")).Src);
        await other.SendAsync(EventNames.RootRoom, "dm", "psst", dst: direct.Id);
        Assert.Equal("psst", (await direct.WaitForAsync(m => m.Event == "dm")).PayloadText);

        // A text message still closes with 1003: the WebSocket itself is the usual one.
        await using var rude = await edge.ConnectAsync();
        await rude.SendRawAsync("text"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await rude.WaitForCloseAsync());

        // Other requests on the same port take the ASP.NET Core pipeline.
        using var http = new HttpClient { BaseAddress = edge.HttpUri };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        lock (pipelineHits)
        {
            Assert.Contains("/healthz", pipelineHits);
            Assert.DoesNotContain("/ws", pipelineHits);
        }
    }

    [Fact]
    public async Task WhatIsNotAnUpgradeGetsTheUsualAnswers()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.DirectUpgrade = true);
        using var http = new HttpClient { BaseAddress = edge.HttpUri };

        var post = await http.PostAsync("/ws", new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal("GET", post.Content.Headers.Allow.Single());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/ws")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, await RawStatusAsync(edge, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
    }

    [Fact]
    public async Task RefusalsBeforeTheUpgradeAreAnsweredOnTheConnection()
    {
        await using var edge = await fixture.StartEdgeAsync(
            configureEdge: e => e.UseAuthorization(static context => ValueTask.FromResult(context.Request.Query.ContainsKey("sub")
                ? AuthorizeResult.Allow(new Dictionary<string, string> { ["sub"] = context.Request.Query["sub"].ToString() })
                : AuthorizeResult.Deny("no sub"))),
            configureOptions: o =>
            {
                o.DirectUpgrade = true;
                o.Quotas.MaxConnectionsPerUser = 1;
            });

        Assert.Equal(HttpStatusCode.Unauthorized, await Upgrade.StatusAsync(edge.WebSocketUri));
        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade.StatusAsync(new Uri(edge.WebSocketUri + "?sub=a"), o => o.SetRequestHeader("Origin", "http://evil.example")));

        // Accepted with the hook's claims, which the cluster sees; the user's second connection is over the limit: 1008.
        await using var ann = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?sub=ann"));
        Assert.Equal("ann", (await fixture.Client.GetConnection(ann.Id).GetInfoAsync())!.Claims["sub"]);
        await using var again = await TestClient.ConnectAsync(new Uri(edge.WebSocketUri + "?sub=ann"), read: false);
        again.StartReading();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await again.WaitForCloseAsync());
    }

    [Fact]
    public async Task AHeadInPiecesWithAFrameRightBehindItIsServed()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: o => o.DirectUpgrade = true);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, edge.HttpUri.Port);
        var stream = tcp.GetStream();
        var head = $"GET /ws HTTP/1.1\r\nHost: {edge.HttpUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        var room = TestNames.Room();
        var join = MaskedBinaryFrame(new Message(room, EventNames.Join, "", "", []).ToBytes());

        // The head in three writes, the last one carrying the client's first frame as well.
        var bytes = Encoding.ASCII.GetBytes(head);
        await stream.WriteAsync(bytes.AsMemory(0, 10));
        await stream.FlushAsync();
        await stream.WriteAsync(bytes.AsMemory(10, 40));
        await stream.FlushAsync();
        await stream.WriteAsync(bytes.AsMemory(50).ToArray().Concat(join).ToArray());

        using var socket = await ReadUpgradeResponseAsync(stream);
        var frames = new List<Message>();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        while (!frames.Any(f => f.Room == room && f.Event == EventNames.JoinAck))
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(FrameError.None, Message.TryParse(buffer.AsSpan(0, result.Count), FrameLimits.Default, out var frame));
            frames.Add(frame!);
        }

        Assert.Equal((EventNames.RootRoom, EventNames.JoinAck), (frames[0].Room, frames[0].Event));
        socket.Abort();
    }

    [Fact]
    public async Task AHeadThatNeverEndsIsClosedAfterKestrelsHeadersTimeout()
    {
        await using var edge = await fixture.StartEdgeAsync(
            configureOptions: o => o.DirectUpgrade = true,
            configureHost: b => b.WebHost.ConfigureKestrel(k => k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1)));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, edge.HttpUri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /ws HTTP/1.1\r\nHost: x\r\n"u8.ToArray());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[256];
        int read;
        try
        {
            read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (IOException)
        {
            read = 0; // reset: closed all the same
        }

        Assert.Equal(0, read);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(15));
    }

    private static async Task<HttpStatusCode> RawStatusAsync(EdgeServer edge, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, edge.HttpUri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TestClient.DefaultTimeout);
        return (HttpStatusCode)int.Parse(statusLine!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the 101 response byte by byte (nothing past it), then speaks WebSocket on the same stream.</summary>
    private static async Task<WebSocket> ReadUpgradeResponseAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one).AsTask().WaitAsync(TestClient.DefaultTimeout));
            head.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101 ", head.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head.ToString(), StringComparison.Ordinal);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>One client-to-server binary frame (RFC 6455: masked), with a zero mask so the payload reads as is.</summary>
    private static byte[] MaskedBinaryFrame(byte[] payload)
    {
        Assert.True(payload.Length < 126);
        return [0x82, (byte)(0x80 | payload.Length), 0, 0, 0, 0, .. payload];
    }
}
