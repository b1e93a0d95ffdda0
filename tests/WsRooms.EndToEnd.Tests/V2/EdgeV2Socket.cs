using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using WsRooms.Protocol;

namespace WsRooms.EndToEnd.Tests.V2;

/// <summary>One frame a v2 socket received: the message and its position (null: none).</summary>
public sealed record EdgeV2Frame(Message Message, ulong? Seq)
{
    /// <summary>The payload as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Message.Payload).RootElement;
}

/// <summary>
/// A bare v2 WebSocket for the edge's own tests: it offers <c>wsrooms.v2</c>, writes six-field frames and reads
/// them strictly (a server meta that is neither empty nor 8 bytes fails the read). Nothing here sleeps.
/// </summary>
public sealed class EdgeV2Socket : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<EdgeV2Frame> _received = Channel.CreateUnbounded<EdgeV2Frame>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;

    /// <summary>The session's id, from root's join_ack (empty until it arrived).</summary>
    public string Id { get; private set; } = "";

    /// <summary>The resume token of the last wsrooms.session or wsrooms.resumed frame.</summary>
    public string Token { get; private set; } = "";

    /// <summary>The close code the server sent (null: none).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public WebSocket Socket => _socket;

    /// <summary>
    /// Opens a v2 socket to <paramref name="uri"/>. A fresh one waits for root's join_ack and wsrooms.session; with
    /// <paramref name="awaitSession"/> false (a resume socket) it returns at once.
    /// </summary>
    public static async Task<EdgeV2Socket> ConnectAsync(Uri uri, bool awaitSession = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new EdgeV2Socket();
        client._socket.Options.AddSubProtocol("wsrooms.v2");
        configure?.Invoke(client._socket.Options);
        using var timeout = new CancellationTokenSource(Timeout);
        await client._socket.ConnectAsync(uri, timeout.Token);
        client._receiving = Task.Run(client.ReceiveLoopAsync);
        if (awaitSession)
        {
            var ack = await client.NextAsync();
            Assert.Equal((EventNames.RootRoom, EventNames.JoinAck), (ack.Message.Room, ack.Message.Event));
            client.Id = ack.Message.Src;
            var session = await client.NextAsync();
            Assert.Equal((EventNames.RootRoom, EventNames.Session), (session.Message.Room, session.Message.Event));
            client.Token = session.Json.GetProperty("token").GetString()!;
        }

        return client;
    }

    /// <summary>Sends <paramref name="message"/> with <paramref name="meta"/> as one v2 frame.</summary>
    public Task SendAsync(Message message, byte[]? meta = null) => SendRawAsync(message.ToBytes(ProtocolVersion.V2, meta ?? []));

    /// <summary>Sends a frame with a text payload and an optional text mid.</summary>
    public Task SendAsync(string room, string @event, string payload = "", string dst = "", string? mid = null) =>
        SendAsync(Message.FromText(room, @event, dst, Id, payload), mid is null ? null : System.Text.Encoding.UTF8.GetBytes(mid));

    public async Task SendRawAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, timeout.Token);
    }

    /// <summary>Joins <paramref name="room"/> (with <paramref name="payload"/>, e.g. a history request) and returns its join_ack.</summary>
    public async Task<EdgeV2Frame> JoinAsync(string room, string payload = "")
    {
        await SendAsync(room, EventNames.Join, payload);
        return await WaitForAsync(f => f.Message.Room == room && f.Message.Event == EventNames.JoinAck);
    }

    /// <summary>Records the id and token a resume's join_ack and wsrooms.resumed name.</summary>
    public void Learn(EdgeV2Frame frame)
    {
        if (frame.Message.Event == EventNames.JoinAck && frame.Message.Room == EventNames.RootRoom)
        {
            Id = frame.Message.Src;
        }
        else if (frame.Message.Event is EventNames.Session or EventNames.Resumed && frame.Json.TryGetProperty("token", out var token))
        {
            Token = token.GetString()!;
        }
    }

    public async Task<EdgeV2Frame> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"v2 socket {Id}: no frame in time.");
        }
        catch (ChannelClosedException e) when (e.InnerException is InvalidDataException invalid)
        {
            throw new InvalidDataException(invalid.Message, invalid);
        }
    }

    public async Task<EdgeV2Frame> WaitForAsync(Func<EdgeV2Frame, bool> match)
    {
        while (true)
        {
            var frame = await NextAsync();
            if (match(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Every frame before the first matching <paramref name="marker"/>.</summary>
    public async Task<List<EdgeV2Frame>> CollectUntilAsync(Func<EdgeV2Frame, bool> marker)
    {
        var seen = new List<EdgeV2Frame>();
        while (true)
        {
            var frame = await NextAsync();
            if (marker(frame))
            {
                return seen;
            }

            seen.Add(frame);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    _closed.TrySetResult(_socket.CloseStatus);
                    break;
                }

                var error = Message.TryParse(buffer.AsSpan(0, length), FrameLimits.Default, ProtocolVersion.V2, out var message, out var meta);
                if (error != FrameError.None || !FramePosition.TryRead(meta, out var seq))
                {
                    throw new InvalidDataException($"v2 socket {Id}: the server sent a frame that is not v2 ({error}, meta of {meta.Length} bytes).");
                }

                _received.Writer.TryWrite(new EdgeV2Frame(message!, seq));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        catch (InvalidDataException e)
        {
            _closed.TrySetResult(null);
            _received.Writer.TryComplete(e);
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    /// <summary>Drops the socket without a closing handshake, as a lost network does.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                await _closed.Task.WaitAsync(timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }
}
