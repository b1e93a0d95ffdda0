using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

// The floor under the edge host, for bench/run.sh's "connect" scenario: Kestrel and ASP.NET Core's WebSocket
// middleware with the edge host's keep-alive settings, doing only what the load generator needs to count a connect
// (the root join_ack with a fresh id), then reading until the client closes. No cluster, no registry, no dispatch,
// no authorization: whatever a connect costs here, in CPU or in memory per idle connection, every ASP.NET Core
// WebSocket server pays, and the edge host's figures are read against it.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.UseWebSockets();

app.Map("/ws", static async context =>
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

    await socket.SendAsync(RootJoinAck(Guid.NewGuid().ToString()), WebSocketMessageType.Binary, true, context.RequestAborted);
    var buffer = new byte[256];
    try
    {
        while ((await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted)).MessageType != WebSocketMessageType.Close)
        {
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", context.RequestAborted);
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
    {
        // The client went without a close handshake; nothing to do.
    }
});

app.Run();

// (root, join_ack, "", id, ["id"]): the README's protocol, as the edge sends it on connect.
static byte[] RootJoinAck(string id)
{
    byte[][] fields = ["root"u8.ToArray(), "join_ack"u8.ToArray(), [], Encoding.UTF8.GetBytes(id), Encoding.UTF8.GetBytes($"[\"{id}\"]")];
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
