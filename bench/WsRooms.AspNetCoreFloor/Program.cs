using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

// The floor under the edge host, for bench/run.sh: Kestrel and ASP.NET Core's WebSocket middleware with the edge
// host's keep-alive settings, and the least of the protocol the load generator needs, all in one process: the root
// join_ack with a fresh id on connect, join/leave with their acks, and a broadcast to a room's other members (no
// cluster, no authorization, no limits). "connect" against it is what a connect costs any ASP.NET Core WebSocket
// server, in CPU and in memory per idle connection; "fanout" is the latency of a one-process room server on the same
// machine beside the same generator. The edge host's figures are read against both.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.UseWebSockets();

var rooms = new ConcurrentDictionary<string, ConcurrentDictionary<Connection, byte>>(StringComparer.Ordinal);

app.Map("/ws", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    // The edge host's defaults (WsRooms:KeepAliveInterval, WsRooms:KeepAliveTimeout): each socket keeps a timer.
    using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
    {
        KeepAliveInterval = TimeSpan.FromSeconds(30),
        KeepAliveTimeout = TimeSpan.FromSeconds(30),
    });

    var connection = new Connection(socket, Guid.NewGuid().ToString());
    await socket.SendAsync(Frame.Encode("root", "join_ack", "", connection.Id, Encoding.UTF8.GetBytes($"[\"{connection.Id}\"]")), WebSocketMessageType.Binary, true, context.RequestAborted);
    List<string>? joined = null;
    try
    {
        while (true)
        {
            // Wait with no buffer (as the edge does): an idle connection holds none.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, context.RequestAborted);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                var length = 0;
                var result = peek;
                while (!result.EndOfMessage && length < buffer.Length)
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), context.RequestAborted);
                    length += result.Count;
                }

                if (Frame.TryDecode(buffer.AsSpan(0, length), out var room, out var @event, out var payload))
                {
                    Handle(connection, room, @event, payload, joined ??= []);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", context.RequestAborted);
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
    {
        // The client went without a close handshake; nothing to do.
    }
    finally
    {
        foreach (var room in joined ?? [])
        {
            rooms.GetValueOrDefault(room)?.TryRemove(connection, out _);
        }

        connection.Complete();
    }
});

app.Run();

void Handle(Connection connection, string room, string @event, byte[] payload, List<string> joined)
{
    switch (@event)
    {
        case "join":
            var members = rooms.GetOrAdd(room, _ => new());
            members[connection] = 0;
            joined.Add(room);
            connection.Send(Frame.Encode(room, "join_ack", "", connection.Id, Encoding.UTF8.GetBytes($"[\"{connection.Id}\"]")));
            break;
        case "leave":
            rooms.GetValueOrDefault(room)?.TryRemove(connection, out _);
            joined.Remove(room);
            connection.Send(Frame.Encode(room, "leave_ack", "", connection.Id, Encoding.UTF8.GetBytes(connection.Id)));
            break;
        default:
            if (rooms.TryGetValue(room, out var others) && others.ContainsKey(connection))
            {
                var frame = Frame.Encode(room, @event, "", connection.Id, payload); // encoded once for every member
                foreach (var member in others.Keys)
                {
                    if (member != connection)
                    {
                        member.Send(frame);
                    }
                }
            }

            break;
    }
}

/// <summary>A socket and, once something is sent to it, its queue and sender: idle connections hold neither.</summary>
internal sealed class Connection(WebSocket socket, string id)
{
    private Channel<byte[]>? _queue;

    public string Id { get; } = id;

    public void Send(byte[] frame)
    {
        if (_queue is null)
        {
            var queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
            if (Interlocked.CompareExchange(ref _queue, queue, null) is null)
            {
                _ = SendLoopAsync(queue.Reader);
            }
        }

        _queue.Writer.TryWrite(frame);
    }

    public void Complete() => _queue?.Writer.TryComplete();

    private async Task SendLoopAsync(ChannelReader<byte[]> reader)
    {
        try
        {
            await foreach (var frame in reader.ReadAllAsync())
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The socket went; what was queued for it is dropped.
        }
    }
}

/// <summary>The WsRooms frame (docs/protocol.md): room, event, dst, src, payload, each a big-endian uint32 length and its bytes.</summary>
internal static class Frame
{
    public static byte[] Encode(string room, string @event, string dst, string src, byte[] payload)
    {
        byte[][] fields = [Encoding.UTF8.GetBytes(room), Encoding.UTF8.GetBytes(@event), Encoding.UTF8.GetBytes(dst), Encoding.UTF8.GetBytes(src), payload];
        var frame = new byte[fields.Sum(f => 4 + f.Length)];
        var at = 0;
        foreach (var field in fields)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), (uint)field.Length);
            field.CopyTo(frame.AsSpan(at + 4));
            at += 4 + field.Length;
        }

        return frame;
    }

    public static bool TryDecode(ReadOnlySpan<byte> frame, out string room, out string @event, out byte[] payload)
    {
        room = @event = "";
        payload = [];
        var fields = new Range[5];
        var at = 0;
        for (var i = 0; i < 5; i++)
        {
            if (frame.Length - at < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(frame[at..]);
            if (length > (uint)(frame.Length - at - 4))
            {
                return false;
            }

            fields[i] = new Range(at + 4, at + 4 + (int)length);
            at += 4 + (int)length;
        }

        room = Encoding.UTF8.GetString(frame[fields[0]]);
        @event = Encoding.UTF8.GetString(frame[fields[1]]);
        payload = frame[fields[4]].ToArray();
        return room.Length > 0 && @event.Length > 0;
    }
}
