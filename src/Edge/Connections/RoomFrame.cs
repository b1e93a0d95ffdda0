using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// One fan-out's frame in the encodings its recipients need: the v1 frame, made once, and the v2 frame (the v1 frame,
/// then the meta field with the frame's position), made once and only when a v2 member is there. So a fan-out
/// allocates per delivery, never per member, and a room of v1 members only never makes a v2 frame.
/// </summary>
internal struct RoomFrame
{
    private readonly Message? _message;
    private readonly long _position;
    private ReadOnlyMemory<byte> _v1;
    private byte[]? _v2;

    /// <summary>A frame to encode from <paramref name="message"/>, at <paramref name="position"/> (0: none).</summary>
    public RoomFrame(Message message, long position)
    {
        _message = message;
        _position = position;
    }

    /// <summary>A frame already encoded as v1, with no position.</summary>
    public RoomFrame(ReadOnlyMemory<byte> v1)
    {
        _v1 = v1;
    }

    /// <summary>The bytes for a v2 socket when <paramref name="v2"/>, else for a v1 socket.</summary>
    public ReadOnlyMemory<byte> For(bool v2) => v2 ? V2() : V1();

    private ReadOnlyMemory<byte> V1()
    {
        if (_v1.IsEmpty)
        {
            _v1 = _message!.ToBytes();
        }

        return _v1;
    }

    private byte[] V2() => _v2 ??= WireEncoding.AppendMeta(V1().Span, _position);
}
