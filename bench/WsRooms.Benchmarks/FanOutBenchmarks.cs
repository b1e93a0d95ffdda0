using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WsRooms.Edge;
using WsRooms.Edge.Connections;
using WsRooms.Protocol;

namespace WsRooms.Benchmarks;

/// <summary>
/// The edge's fan-out path with real <see cref="EdgeConnection"/>s and their send loops, over a socket that
/// only counts what it is given: one frame to every local member of a room. What it checks: no
/// allocation per recipient (the frame is encoded once and the same bytes go to every queue).
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private readonly List<(EdgeConnection Connection, Task Run)> _connections = [];
    private ConnectionRegistry _registry = null!;
    private byte[] _frame = [];

    [Params(100, 1000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new WsRoomsEdgeOptions { SendQueueCapacity = 1 << 16 };
        _registry = new ConnectionRegistry(Options.Create(options));
        _frame = new Message("bench-0", "m", "", "sender", new byte[256]).ToBytes();
        for (var i = 0; i < Members; i++)
        {
            var connection = new EdgeConnection(
                "c" + i, new Dictionary<string, string>(), new CountingWebSocket(), options, _registry, null!, null!, NullLogger.Instance);
            _registry.Add(connection);
            _registry.Joined(connection, "bench-0");
            _connections.Add((connection, connection.RunAsync(CancellationToken.None)));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (connection, _) in _connections)
        {
            connection.BeginClose(CloseCodes.Normal, "");
        }
    }

    /// <summary>One broadcast: encode once (outside), hand the same bytes to every member.</summary>
    [Benchmark]
    public int FanOut() => _registry.FanOut("bench-0", "sender", _frame);

    /// <summary>A socket whose sends complete at once and whose receive never does (an idle client).</summary>
    private sealed class CountingWebSocket : WebSocket
    {
        private readonly TaskCompletionSource<WebSocketReceiveResult> _never = new();
        private long _sent;

        public override WebSocketCloseStatus? CloseStatus => null;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => WebSocketState.Open;

        public override string? SubProtocol => null;

        public override void Abort() => _never.TrySetCanceled();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            _never.TrySetResult(new WebSocketReceiveResult(0, WebSocketMessageType.Close, true));
            return Task.CompletedTask;
        }

        public override void Dispose()
        {
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) => _never.Task;

        public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var result = await _never.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ValueWebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            _sent++;
            return Task.CompletedTask;
        }

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            _sent++;
            return ValueTask.CompletedTask;
        }
    }
}
