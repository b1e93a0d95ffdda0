using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

namespace WsRooms.LoadGen;

/// <summary>
/// The WsRooms wire protocol: binary frames of five length-prefixed fields, or (v2) the
/// <c>wsrooms.v2</c> subprotocol's six (the sixth, meta, empty from this client: no message ids, so its broadcasts
/// are acknowledged without one and the acks are not counted) (docs/protocol.md).
/// </summary>
internal sealed class WsRoomsBenchClient : BenchClient
{
    private const string DataEvent = "m";
    private const string V2SubProtocol = "wsrooms.v2";
    private readonly bool _v2;
    private byte[] _sendBuffer = new byte[1024];

    public WsRoomsBenchClient(int index, DeliveryStats stats, bool v2)
        : base(index, stats)
    {
        _v2 = v2;
        if (v2)
        {
            Socket.Options.AddSubProtocol(V2SubProtocol);
        }
    }

    protected override ValueTask OnOpenedAsync(CancellationToken cancellationToken) =>
        // A server that does not select v2 would be measured as v1 under the v2 label.
        _v2 && Socket.SubProtocol != V2SubProtocol
            ? throw new InvalidOperationException("the server did not select " + V2SubProtocol)
            : ValueTask.CompletedTask;

    public override ValueTask PublishAsync(string room, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendFrameAsync(room, DataEvent, "", payload.Span, cancellationToken);

    public override ValueTask DirectAsync(string dst, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendFrameAsync("root", DataEvent, dst, payload.Span, cancellationToken);

    protected override ValueTask SendJoinAsync(string room, CancellationToken cancellationToken) =>
        SendFrameAsync(room, "join", "", default, cancellationToken);

    protected override ValueTask SendLeaveAsync(string room, CancellationToken cancellationToken) =>
        SendFrameAsync(room, "leave", "", default, cancellationToken);

    protected override ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        var frame = message.Span;
        if (!TryField(frame, 0, out var room, out var next) ||
            !TryField(frame, next, out var @event, out next) ||
            !TryField(frame, next, out _, out next) ||
            !TryField(frame, next, out var src, out next) ||
            !TryField(frame, next, out var payload, out _))
        {
            return ValueTask.CompletedTask;
        }

        var e = frame[@event];
        if (e.SequenceEqual("join_ack"u8))
        {
            var roomName = Encoding.UTF8.GetString(frame[room]);
            if (roomName == "root")
            {
                Connected(Encoding.UTF8.GetString(frame[src]));
            }
            else
            {
                Acknowledged("j:" + roomName);
            }
        }
        else if (e.SequenceEqual("leave_ack"u8))
        {
            Acknowledged("l:" + Encoding.UTF8.GetString(frame[room]));
        }
        else if (!e.SequenceEqual("new_member"u8) && !e.SequenceEqual("member_left"u8) && !e.StartsWith("wsrooms."u8))
        {
            Stats.Record(Receiver, frame[payload]);
        }

        return ValueTask.CompletedTask;
    }

    private static bool TryField(ReadOnlySpan<byte> frame, int at, out Range field, out int next)
    {
        field = default;
        next = 0;
        if (frame.Length - at < 4)
        {
            return false;
        }

        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame[at..]);
        if (length < 0 || length > frame.Length - at - 4)
        {
            return false;
        }

        field = new Range(at + 4, at + 4 + length);
        next = at + 4 + length;
        return true;
    }

    private ValueTask SendFrameAsync(string room, string @event, string dst, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        var size = (_v2 ? 24 : 20) + Encoding.UTF8.GetByteCount(room) + Encoding.UTF8.GetByteCount(@event) + Encoding.UTF8.GetByteCount(dst) + payload.Length;
        if (_sendBuffer.Length < size)
        {
            _sendBuffer = new byte[size];
        }

        var span = _sendBuffer.AsSpan();
        var at = WriteString(span, 0, room);
        at = WriteString(span, at, @event);
        at = WriteString(span, at, dst);
        at = WriteString(span, at, ""); // src: the server writes it
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)payload.Length);
        payload.CopyTo(span[(at + 4)..]);
        if (_v2)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[(at + 4 + payload.Length)..], 0); // meta: empty
        }

        return Socket.SendAsync(_sendBuffer.AsMemory(0, size), WebSocketMessageType.Binary, true, cancellationToken);
    }

    private static int WriteString(Span<byte> span, int at, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, span[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)length);
        return at + 4 + length;
    }
}
