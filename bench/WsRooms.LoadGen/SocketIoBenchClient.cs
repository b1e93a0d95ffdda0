using System.Net.WebSockets;
using System.Text;

namespace WsRooms.LoadGen;

/// <summary>
/// The minimal Engine.IO v4 / Socket.IO v5 subset the peer needs, over a raw WebSocket
/// (<c>/socket.io/?EIO=4&amp;transport=websocket</c>): <c>0{…}</c> open, <c>40</c> connect (answered with
/// <c>40{"sid":…}</c>), <c>42[…]</c> events, <c>2</c>/<c>3</c> ping/pong. Events of bench/peer-socketio/server.js:
/// client → server <c>join</c>, <c>leave</c>, <c>pub</c> (room, payload), <c>dm</c> (dst, payload); server → client
/// <c>join_ack</c>, <c>leave_ack</c>, <c>new_member</c>, <c>member_left</c>, <c>m</c> (room, src, payload), <c>dm</c> (src, payload).
/// </summary>
internal sealed class SocketIoBenchClient(int index, DeliveryStats stats) : BenchClient(index, stats)
{
    private static readonly byte[] Pong = "3"u8.ToArray();
    private static readonly byte[] ConnectPacket = "40"u8.ToArray();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _sendBuffer = new byte[1024];

    public override ValueTask PublishAsync(string room, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendEventAsync("pub", room, payload, cancellationToken);

    public override ValueTask DirectAsync(string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendEventAsync("dm", dst, payload, cancellationToken);

    protected override ValueTask SendJoinAsync(string room, CancellationToken cancellationToken) =>
        SendEventAsync("join", room, ReadOnlyMemory<byte>.Empty, cancellationToken);

    protected override ValueTask SendLeaveAsync(string room, CancellationToken cancellationToken) =>
        SendEventAsync("leave", room, ReadOnlyMemory<byte>.Empty, cancellationToken);

    protected override async ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        var text = message.Span;
        if (text.Length == 0)
        {
            return;
        }

        switch (text[0])
        {
            case (byte)'0': // Engine.IO open: ask for the default namespace
                await SendRawAsync(ConnectPacket).ConfigureAwait(false);
                return;
            case (byte)'2': // ping
                await SendRawAsync(Pong).ConfigureAwait(false);
                return;
            case (byte)'4':
                break;
            default:
                return;
        }

        if (text.StartsWith("40"u8))
        {
            // 40{"sid":"…"}: connected; the sid is the socket id rooms and direct messages use.
            var sid = StringAfter(text, "\"sid\":\""u8);
            Connected(sid);
            return;
        }

        if (text.StartsWith("42[\"m\","u8) || text.StartsWith("42[\"dm\","u8))
        {
            // The payload is the last element, a JSON string without escapes: …,"<payload>"]
            var end = text.Length - 2;
            var start = text[..end].LastIndexOf((byte)'"') + 1;
            Stats.Record(Receiver, text[start..end]);
        }
        else if (text.StartsWith("42[\"join_ack\",\""u8))
        {
            Acknowledged("j:" + StringAfter(text, "42[\"join_ack\",\""u8));
        }
        else if (text.StartsWith("42[\"leave_ack\",\""u8))
        {
            Acknowledged("l:" + StringAfter(text, "42[\"leave_ack\",\""u8));
        }
    }

    private static string StringAfter(ReadOnlySpan<byte> text, ReadOnlySpan<byte> marker)
    {
        var at = text.IndexOf(marker);
        if (at < 0)
        {
            return "";
        }

        var rest = text[(at + marker.Length)..];
        var end = rest.IndexOf((byte)'"');
        return Encoding.UTF8.GetString(end < 0 ? rest : rest[..end]);
    }

    private async ValueTask SendRawAsync(byte[] packet)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await Socket.SendAsync(packet, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // 42["<event>","<arg>"] or 42["<event>","<arg>","<payload>"]; names, ids and payloads need no JSON escaping.
    private async ValueTask SendEventAsync(string @event, string arg, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var size = Build(@event, arg, payload.Span);
            await Socket.SendAsync(_sendBuffer.AsMemory(0, size), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private int Build(string @event, string arg, ReadOnlySpan<byte> payload)
    {
        var size = 16 + Encoding.UTF8.GetByteCount(@event) + Encoding.UTF8.GetByteCount(arg) + payload.Length;
        if (_sendBuffer.Length < size)
        {
            _sendBuffer = new byte[size];
        }

        var span = _sendBuffer.AsSpan();
        var at = Append(span, 0, "42[\""u8);
        at += Encoding.UTF8.GetBytes(@event, span[at..]);
        at = Append(span, at, "\",\""u8);
        at += Encoding.UTF8.GetBytes(arg, span[at..]);
        if (!payload.IsEmpty)
        {
            at = Append(span, at, "\",\""u8);
            at = Append(span, at, payload);
        }

        return Append(span, at, "\"]"u8);
    }

    private static int Append(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }
}
