using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using WsRooms.Protocol;

namespace WsRooms.Testing;

/// <summary>
/// A real WebSocket client speaking the protocol (docs/protocol.md) the way the browser client does: it takes its
/// id from root's join_ack and joins with <c>(room, "join", id, id, id)</c>. It speaks v1 unless connected with
/// <see cref="ConnectV2Async"/>, <see cref="OpenV2Async"/> or <see cref="ResumeAsync"/> (the v2 part is in
/// TestClient.V2.cs). Every frame received is queued for the test to wait on; nothing here sleeps. A wait that runs
/// out throws <see cref="TimeoutException"/>, a frame that is not valid throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed partial class TestClient : IAsyncDisposable
{
    /// <summary>How long a connect, a send or a wait takes at most unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket = new();
    private readonly Channel<ReceivedFrame> _received = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private volatile TaskCompletionSource _readGate = CompletedGate();

    private TestClient(ProtocolVersion version = ProtocolVersion.V1)
    {
        Version = version;
        if (version == ProtocolVersion.V2)
        {
            _socket.Options.AddSubProtocol(V2SubProtocol);
        }
    }

    /// <summary>The protocol version this client speaks: v1, or v2 when the server selected <see cref="V2SubProtocol"/>.</summary>
    public ProtocolVersion Version { get; }

    /// <summary>This client's id, from root's join_ack.</summary>
    public string Id { get; private set; } = "";

    /// <summary>The first frame this client received (root's join_ack).</summary>
    public Message? FirstFrame { get; private set; }

    /// <summary>The close status the server sent, once the connection has closed (null: closed without one).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <summary>The underlying socket, for tests that break the protocol on purpose.</summary>
    public WebSocket Socket => _socket;

    /// <summary>Connects and waits for root's join_ack, unless <paramref name="read"/> is false (a slow consumer that does not read).</summary>
    public static async Task<TestClient> ConnectAsync(Uri uri, bool read = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new TestClient();
        configure?.Invoke(client._socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await client._socket.ConnectAsync(uri, timeout.Token);
        if (read)
        {
            client.StartReading();
            var first = await client.NextAsync();
            client.FirstFrame = first;
            if ((first.Room, first.Event) != (EventNames.RootRoom, EventNames.JoinAck))
            {
                await client.DisposeAsync();
                throw new InvalidDataException($"The first frame was {first.Room}/{first.Event}, not root's join_ack.");
            }

            client.Id = first.Src;
        }

        return client;
    }

    /// <summary>Starts the receive loop (for a client created with read: false).</summary>
    public void StartReading() => _receiving = Task.Run(ReceiveLoopAsync);

    /// <summary>Stops reading from the socket (after at most one more message), like a client that fell behind.</summary>
    public void PauseReading() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Reads again after <see cref="PauseReading"/>.</summary>
    public void ResumeReading() => _readGate.TrySetResult();

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                await _readGate.Task;
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

                var frame = Parse(buffer.AsSpan(0, length));
                if (FirstFrame is null && Id.Length == 0)
                {
                    FirstFrame = frame.Message;
                }

                Track(frame);
                _received.Writer.TryWrite(frame);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        catch (InvalidDataException e)
        {
            // The waiting test sees it: the channel completes with it.
            _closed.TrySetResult(null);
            _received.Writer.TryComplete(e);
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    // ----- sending -----

    /// <summary>Sends <paramref name="message"/> as one binary frame of this client's version (v2: with an empty meta).</summary>
    public async Task SendAsync(Message message) => await SendAsync(message, ReadOnlyMemory<byte>.Empty);

    /// <summary>Sends a frame with a UTF-8 text payload; src is this client's id unless given.</summary>
    public Task SendAsync(string room, string @event, string payload = "", string dst = "", string? src = null) =>
        SendAsync(Message.FromText(room, @event, dst, src ?? Id, payload));

    /// <summary>Sends a frame with a binary payload, from this client's id.</summary>
    public Task SendAsync(string room, string @event, byte[] payload, string dst = "") =>
        SendAsync(new Message(room, @event, dst, Id, payload));

    /// <summary>Sends <paramref name="bytes"/> as they are: a frame of any kind, valid or not, whole or in parts.</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type = WebSocketMessageType.Binary, bool endOfMessage = true)
    {
        await _sendGate.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.SendAsync(bytes, type, endOfMessage, timeout.Token);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Joins <paramref name="room"/> as the browser client does, waits for the join_ack and returns the members it lists.
    /// A v2 client joins with an empty payload (no history), since a v2 join's payload is read as a history request.
    /// </summary>
    public async Task<string[]> JoinAsync(string room)
    {
        await SendAsync(Message.FromText(room, EventNames.Join, Id, Id, Version == ProtocolVersion.V2 ? "" : Id));
        var ack = await WaitForAsync(m => m.Room == room && m.Event == EventNames.JoinAck);
        if (ack.Src != Id)
        {
            throw new InvalidDataException($"Client {Id}: the join_ack of {room} came from '{ack.Src}', not from this client's id.");
        }

        return JsonSerializer.Deserialize<string[]>(ack.Payload)!;
    }

    /// <summary>Leaves <paramref name="room"/> as the browser client does, and waits for the leave_ack.</summary>
    public async Task LeaveAsync(string room)
    {
        await SendAsync(Message.FromText(room, EventNames.Leave, Id, Id, Id));
        var ack = await WaitForAsync(m => m.Room == room && m.Event == EventNames.LeaveAck);
        if (ack.PayloadText != Id)
        {
            throw new InvalidDataException($"Client {Id}: the leave_ack of {room} carried '{ack.PayloadText}', not this client's id.");
        }
    }

    // ----- receiving -----

    /// <summary>The next frame, whatever it is.</summary>
    public async Task<Message> NextAsync(TimeSpan? timeout = null) => (await NextFrameAsync(timeout)).Message;

    /// <summary>The next frame, whatever it is, with its meta and position.</summary>
    public async Task<ReceivedFrame> NextFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Client {Id}: no frame within {timeout ?? DefaultTimeout}.");
        }
        catch (ChannelClosedException e) when (e.InnerException is InvalidDataException invalid)
        {
            throw new InvalidDataException(invalid.Message, invalid);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"Client {Id}: the connection closed ({_socket.CloseStatus}) while a frame was expected.");
        }
    }

    /// <summary>Skips frames until one matches.</summary>
    public async Task<Message> WaitForAsync(Func<Message, bool> match, TimeSpan? timeout = null) =>
        (await WaitForFrameAsync(frame => match(frame.Message), timeout)).Message;

    /// <summary>Skips frames until <paramref name="event"/> in <paramref name="room"/> arrives, and returns it with its position.</summary>
    public Task<ReceivedFrame> WaitForFrameAsync(string room, string @event, TimeSpan? timeout = null) =>
        WaitForFrameAsync(frame => frame.Is(room, @event), timeout);

    /// <summary>Skips frames until one matches, and returns it with its meta and position.</summary>
    public async Task<ReceivedFrame> WaitForFrameAsync(Func<ReceivedFrame, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Client {Id}: the expected frame did not arrive.");
            }

            var frame = await NextFrameAsync(left);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>
    /// Every frame that arrived before the first one matching <paramref name="marker"/>: the way to show that nobody
    /// else was told, without sleeping. The caller sends a marker frame down the same path first.
    /// </summary>
    public async Task<List<Message>> CollectUntilAsync(Func<Message, bool> marker, TimeSpan? timeout = null) =>
        [.. (await CollectFramesUntilAsync(frame => marker(frame.Message), timeout)).Select(frame => frame.Message)];

    /// <summary>As <see cref="CollectUntilAsync"/>, with each frame's meta and position.</summary>
    public async Task<List<ReceivedFrame>> CollectFramesUntilAsync(Func<ReceivedFrame, bool> marker, TimeSpan? timeout = null)
    {
        var seen = new List<ReceivedFrame>();
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Client {Id}: the marker frame did not arrive.");
            }

            var frame = await NextFrameAsync(left);
            if (marker(frame))
            {
                return seen;
            }

            seen.Add(frame);
        }
    }

    /// <summary>Waits for the server to close the connection and returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null) =>
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Closes the connection (normal closure) if it is open, and stops reading. A v2 session ends with it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                await _closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // The server closed or vanished first: the socket is aborted below either way.
        }
        finally
        {
            _socket.Abort();
            _socket.Dispose();
            ResumeReading(); // a paused loop must see the aborted socket to end
            await _receiving.ConfigureAwait(false);
        }
    }
}
