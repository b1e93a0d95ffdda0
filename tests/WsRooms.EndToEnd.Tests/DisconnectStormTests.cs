using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// Many clients leaving at once is where a naive server breaks (a send on a closed connection). Here 2,000 clients on both
/// edges, in 50 rooms, leave at the same moment (half abort, half close) while broadcasts run: nothing crashes,
/// every room empties, the edges hold no connection or room of theirs, and new clients are served at once.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class DisconnectStormTests(EdgeClusterFixture fixture, ITestOutputHelper output)
{
    private const int Clients = 2_000;
    private const int Rooms = 50;
    private const int ConnectBatch = 100;

    [Fact]
    public async Task TwoThousandClientsLeavingAtOnceWhileBroadcastsRunEmptyEveryRoomAndTheServerServesOn()
    {
        var stopwatch = Stopwatch.StartNew();
        var edges = new[] { fixture.EdgeA, fixture.EdgeB };
        var baseline = edges.Select(e => e.ConnectionCount()).ToArray();
        var rooms = Enumerable.Range(0, Rooms).Select(_ => TestNames.Room("storm")).ToArray();

        var clients = new List<StormClient>(Clients);
        for (var start = 0; start < Clients; start += ConnectBatch)
        {
            var batch = Enumerable.Range(start, Math.Min(ConnectBatch, Clients - start))
                .Select(i => StormClient.ConnectAsync(edges[i % 2].WebSocketUri, rooms[i % Rooms]));
            clients.AddRange(await Task.WhenAll(batch));
        }

        output.WriteLine($"{Clients} clients connected and joined in {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Clients / Rooms, (await fixture.Client.GetRoom(rooms[0]).GetMembersAsync()).Count);

        // Broadcasts run through the storm: server-side publishes to every room, and clients talking.
        using var stopBroadcasts = new CancellationTokenSource();
        var publisher = Task.Run(async () =>
        {
            var n = 0;
            while (!stopBroadcasts.IsCancellationRequested)
            {
                await fixture.Client.GetRoom(rooms[n++ % Rooms]).PublishTextAsync("tick", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        });
        var talkers = clients.Take(100).Select(c => c.TalkAsync(stopBroadcasts.Token)).ToArray();
        await Task.WhenAll(clients.Take(10).Select(c => c.WaitForTicksAsync(1)));

        stopwatch.Restart();
        await Task.WhenAll(clients.Select((c, i) => i % 2 == 0 ? c.AbortAsync() : c.CloseAsync()));
        output.WriteLine($"storm: all {Clients} gone from the client side in {stopwatch.Elapsed.TotalSeconds:F1} s");

        // Every room empties, and each edge is back to what it held before.
        await LimitTests.WaitUntilAsync(() => edges.Select(e => e.ConnectionCount()).SequenceEqual(baseline), TimeSpan.FromSeconds(60));
        foreach (var room in rooms)
        {
            await WaitUntilEmptyAsync(room);
        }

        output.WriteLine($"rooms empty and edges drained {stopwatch.Elapsed.TotalSeconds:F1} s after the storm");
        await stopBroadcasts.CancelAsync();
        await publisher;
        await Task.WhenAll(talkers);

        // New clients are served at once, on both edges.
        var after = TestNames.Room("after-storm");
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(after);
        await b.JoinAsync(after);
        await a.SendAsync(after, "chat", "still serving");
        Assert.Equal("still serving", (await b.WaitForAsync(m => m.Event == "chat")).PayloadText);
    }

    private async Task WaitUntilEmptyAsync(string room)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await fixture.Client.GetRoom(room).GetMembersAsync()).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"room {room} did not empty");
            await Task.Delay(50);
        }
    }

    /// <summary>A light client (a 1 KiB buffer, frames counted, not kept): 2,000 TestClients would hold 2 GB of buffers.</summary>
    private sealed class StormClient
    {
        private readonly ClientWebSocket _socket = new();
        private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _sendGate = new(1, 1);
        private string _room = "";
        private int _ticks;
        private TaskCompletionSource _tick = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _reading = Task.CompletedTask;

        public static async Task<StormClient> ConnectAsync(Uri uri, string room)
        {
            var client = new StormClient { _room = room };
            using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
            await client._socket.ConnectAsync(uri, timeout.Token);
            client._reading = Task.Run(client.ReadAsync);
            await client.SendAsync(Message.FromText(room, EventNames.Join, "", "", "").ToBytes());
            await client._joined.Task.WaitAsync(TestClient.DefaultTimeout);
            return client;
        }

        public async Task WaitForTicksAsync(int count)
        {
            while (Volatile.Read(ref _ticks) < count)
            {
                await _tick.Task.WaitAsync(TestClient.DefaultTimeout);
            }
        }

        public async Task TalkAsync(CancellationToken stop)
        {
            var frame = Message.FromText(_room, "chat", "", "", "storm talk").ToBytes();
            while (!stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                if (!await SendAsync(frame))
                {
                    return;
                }

                await Task.Yield();
            }
        }

        public async Task AbortAsync()
        {
            await Task.Yield();
            _socket.Abort();
            await _reading;
            _socket.Dispose();
        }

        public async Task CloseAsync()
        {
            await Task.Yield();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                await _reading.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
            {
            }
            finally
            {
                _socket.Abort();
                _socket.Dispose();
            }
        }

        private async Task<bool> SendAsync(byte[] frame)
        {
            await _sendGate.WaitAsync();
            try
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
                return true;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                return false;
            }
            finally
            {
                _sendGate.Release();
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    // Only the start of each message is looked at: room and event are in its first bytes.
                    var result = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var head = result.Count;
                    while (!result.EndOfMessage)
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(head == buffer.Length ? buffer.Length - 1 : head), CancellationToken.None);
                        head = Math.Min(buffer.Length, head + result.Count);
                    }

                    var (room, @event) = RoomAndEvent(buffer.AsSpan(0, Math.Min(head, buffer.Length)));
                    if (@event == EventNames.JoinAck && room == _room)
                    {
                        _joined.TrySetResult();
                    }
                    else if (@event == "tick")
                    {
                        Interlocked.Increment(ref _ticks);
                        Interlocked.Exchange(ref _tick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                _joined.TrySetException(new InvalidOperationException("closed before the join_ack"));
            }
        }

        private static (string Room, string Event) RoomAndEvent(ReadOnlySpan<byte> head)
        {
            if (head.Length < 8)
            {
                return ("", "");
            }

            var roomLength = (int)BinaryPrimitives.ReadUInt32BigEndian(head);
            if (head.Length < 8 + roomLength)
            {
                return ("", "");
            }

            var eventLength = (int)BinaryPrimitives.ReadUInt32BigEndian(head[(4 + roomLength)..]);
            if (head.Length < 8 + roomLength + eventLength)
            {
                return ("", "");
            }

            return (Encoding.UTF8.GetString(head.Slice(4, roomLength)), Encoding.UTF8.GetString(head.Slice(8 + roomLength, eventLength)));
        }
    }
}
