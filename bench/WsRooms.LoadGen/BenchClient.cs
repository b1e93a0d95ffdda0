using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;

namespace WsRooms.LoadGen;

/// <summary>
/// One simulated user over a real WebSocket, whichever protocol it speaks. A receive loop classifies what
/// arrives: the connect acknowledgement, join/leave acknowledgements (awaited by the scenario), and data
/// payloads, handed to <see cref="DeliveryStats"/>. Only one task sends at a time (the scenario's).
/// </summary>
internal abstract class BenchClient : IAsyncDisposable
{
    // One handler for every connect: without it ClientWebSocket builds a SocketsHttpHandler per connection, which
    // made the generator spend more CPU per connect than the server it measures. An upgraded connection is never
    // pooled, so sharing changes nothing on the wire.
    private static readonly HttpMessageInvoker SharedInvoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
    });

    private readonly TaskCompletionSource<string> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, TaskCompletionSource<long>> _pending = new(StringComparer.Ordinal);
    private byte[] _receiveBuffer = new byte[4096];
    private Task _receiving = Task.CompletedTask;

    protected BenchClient(int index, DeliveryStats stats)
    {
        Receiver = new ReceiverState(index);
        Stats = stats;
        Socket = new ClientWebSocket();
        // The server pings; the client need not.
        Socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public ReceiverState Receiver { get; }

    public int Index => Receiver.Index;

    /// <summary>The id the server gave this connection (root join_ack src, or the Socket.IO sid).</summary>
    public string Id { get; private set; } = "";

    protected DeliveryStats Stats { get; }

    protected ClientWebSocket Socket { get; }

    /// <summary>Connects and returns once the server has acknowledged the connection with the client's id.</summary>
    public async Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        await Socket.ConnectAsync(uri, SharedInvoker, cancellationToken).ConfigureAwait(false);
        _receiving = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        await OnOpenedAsync(cancellationToken).ConfigureAwait(false);
        Id = await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Joins and returns the join_ack latency in Stopwatch ticks.</summary>
    public Task<long> JoinAsync(string room, CancellationToken cancellationToken) =>
        RequestAsync("j:" + room, () => SendJoinAsync(room, cancellationToken), cancellationToken);

    public Task<long> LeaveAsync(string room, CancellationToken cancellationToken) =>
        RequestAsync("l:" + room, () => SendLeaveAsync(room, cancellationToken), cancellationToken);

    /// <summary>Broadcast <paramref name="payload"/> to the room, except self.</summary>
    public abstract ValueTask PublishAsync(string room, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>Send <paramref name="payload"/> to one connection by id.</summary>
    public abstract ValueTask DirectAsync(string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Abort rather than close: thousands of close handshakes would only measure teardown.
        Socket.Abort();
        Socket.Dispose();
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    protected virtual ValueTask OnOpenedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected abstract ValueTask SendJoinAsync(string room, CancellationToken cancellationToken);

    protected abstract ValueTask SendLeaveAsync(string room, CancellationToken cancellationToken);

    /// <summary>Handles one whole received message.</summary>
    protected abstract ValueTask OnMessageAsync(ReadOnlyMemory<byte> message);

    protected void Connected(string id) => _connected.TrySetResult(id);

    protected void Acknowledged(string key)
    {
        TaskCompletionSource<long>? waiter;
        lock (_pending)
        {
            _pending.Remove(key, out waiter);
        }

        waiter?.TrySetResult(Stopwatch.GetTimestamp());
    }

    private async Task<long> RequestAsync(string key, Func<ValueTask> send, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            _pending[key] = waiter;
        }

        var started = Stopwatch.GetTimestamp();
        await send().ConfigureAwait(false);
        var acked = await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return acked - started;
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var length = 0;
                while (true)
                {
                    if (length == _receiveBuffer.Length)
                    {
                        Array.Resize(ref _receiveBuffer, _receiveBuffer.Length * 2);
                    }

                    var result = await Socket.ReceiveAsync(_receiveBuffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        _connected.TrySetException(new InvalidOperationException("closed by the server: " + Socket.CloseStatus));
                        return;
                    }

                    length += result.Count;
                    if (result.EndOfMessage)
                    {
                        break;
                    }
                }

                await OnMessageAsync(_receiveBuffer.AsMemory(0, length)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            _connected.TrySetException(e);
        }
    }
}
