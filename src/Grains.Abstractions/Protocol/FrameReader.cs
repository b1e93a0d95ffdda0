using System.Buffers.Binary;
using System.Text.Unicode;

namespace WsRooms.Protocol;

/// <summary>The fields of one frame, as slices of the bytes it was read from. Nothing is copied.</summary>
public readonly ref struct FrameView
{
    /// <summary>A v1 frame's fields (its <see cref="Meta"/> is empty).</summary>
    public FrameView(ReadOnlySpan<byte> room, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> src, ReadOnlySpan<byte> payload)
        : this(room, @event, dst, src, payload, default)
    {
    }

    /// <summary>A v2 frame's six fields.</summary>
    public FrameView(
        ReadOnlySpan<byte> room, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> src, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> meta)
    {
        Room = room;
        Event = @event;
        Dst = dst;
        Src = src;
        Payload = payload;
        Meta = meta;
    }

    /// <summary>UTF-8 room name, 1..MaxRoomBytes bytes.</summary>
    public ReadOnlySpan<byte> Room { get; }

    /// <summary>UTF-8 event name, 1..MaxEventBytes bytes.</summary>
    public ReadOnlySpan<byte> Event { get; }

    /// <summary>UTF-8 recipient id, empty unless the frame is a direct message.</summary>
    public ReadOnlySpan<byte> Dst { get; }

    /// <summary>UTF-8 sender id as the sender wrote it (the server never trusts a client's).</summary>
    public ReadOnlySpan<byte> Src { get; }

    /// <summary>Opaque payload bytes.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>
    /// The sixth field of a v2 frame, 0..MaxMetaBytes opaque bytes: a client's message id, or a server's position
    /// (<see cref="FramePosition"/>). Always empty on a v1 frame.
    /// </summary>
    public ReadOnlySpan<byte> Meta { get; }
}

/// <summary>
/// Reads the wire frame of docs/protocol.md. Never throws on bad input: every refusal is a <see cref="FrameError"/>.
/// </summary>
/// <remarks>
/// <code>
/// +--------+------+--------+-------+--------+-----+--------+-----+--------+---------+
/// | u32 BE | room | u32 BE | event | u32 BE | dst | u32 BE | src | u32 BE | payload |
/// +--------+------+--------+-------+--------+-----+--------+-----+--------+---------+
/// </code>
/// A v2 frame has a sixth field, <c>meta</c>, after the payload, in the same form.
/// The frame is exactly the sum of its parts: a length running past the end (or missing, as the meta of a v1 frame
/// read as v2) is <see cref="FrameError.Truncated"/>, bytes after the last field (the meta of a v2 frame read as
/// v1) are <see cref="FrameError.TrailingBytes"/>. Each length is checked against what is left and against its
/// limit before the field is sliced, so a hostile length costs nothing.
/// </remarks>
public static class FrameReader
{
    private const int LengthPrefixBytes = sizeof(uint);

    /// <summary>Reads one whole v1 frame.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> frame, FrameLimits limits, out FrameView view)
    {
        ArgumentNullException.ThrowIfNull(limits);
        view = default;

        if (frame.Length > limits.MaxMessageBytes)
        {
            return FrameError.MessageTooLarge;
        }

        var position = 0;
        if (!TryReadField(frame, ref position, limits.MaxRoomBytes, FrameError.RoomTooLong, out var room, out var error) ||
            !TryReadField(frame, ref position, limits.MaxEventBytes, FrameError.EventTooLong, out var @event, out error) ||
            !TryReadField(frame, ref position, limits.MaxIdBytes, FrameError.IdTooLong, out var dst, out error) ||
            !TryReadField(frame, ref position, limits.MaxIdBytes, FrameError.IdTooLong, out var src, out error) ||
            !TryReadField(frame, ref position, int.MaxValue, FrameError.MessageTooLarge, out var payload, out error))
        {
            return error;
        }

        if (position != frame.Length)
        {
            return FrameError.TrailingBytes;
        }

        if (room.Start.Value == room.End.Value)
        {
            return FrameError.EmptyRoom;
        }

        if (@event.Start.Value == @event.End.Value)
        {
            return FrameError.EmptyEvent;
        }

        if (!Utf8.IsValid(frame[room]) || !Utf8.IsValid(frame[@event]) || !Utf8.IsValid(frame[dst]) || !Utf8.IsValid(frame[src]))
        {
            return FrameError.InvalidUtf8;
        }

        view = new FrameView(frame[room], frame[@event], frame[dst], frame[src], frame[payload]);
        return FrameError.None;
    }

    /// <summary>Reads one whole frame of <paramref name="version"/>.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> frame, FrameLimits limits, ProtocolVersion version, out FrameView view) => version switch
    {
        ProtocolVersion.V1 => TryRead(frame, limits, out view),
        ProtocolVersion.V2 => TryReadV2(frame, limits, out view),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a protocol version."),
    };

    // A v2 frame is a v1 frame followed by the meta field: find where the payload ends (the same field checks, in the
    // same order, as v1), read meta there, and let the v1 reader judge everything before it. The v1 path stays as
    // short as it was, since it is the one every v1 socket takes.
    private static FrameError TryReadV2(ReadOnlySpan<byte> frame, FrameLimits limits, out FrameView view)
    {
        ArgumentNullException.ThrowIfNull(limits);
        view = default;

        if (frame.Length > limits.MaxMessageBytes)
        {
            return FrameError.MessageTooLarge;
        }

        var position = 0;
        if (!TryReadField(frame, ref position, limits.MaxRoomBytes, FrameError.RoomTooLong, out _, out var error) ||
            !TryReadField(frame, ref position, limits.MaxEventBytes, FrameError.EventTooLong, out _, out error) ||
            !TryReadField(frame, ref position, limits.MaxIdBytes, FrameError.IdTooLong, out _, out error) ||
            !TryReadField(frame, ref position, limits.MaxIdBytes, FrameError.IdTooLong, out _, out error) ||
            !TryReadField(frame, ref position, int.MaxValue, FrameError.MessageTooLarge, out _, out error))
        {
            return error;
        }

        var v1Length = position;
        if (!TryReadField(frame, ref position, limits.MaxMetaBytes, FrameError.MetaTooLong, out var meta, out error))
        {
            return error;
        }

        if (position != frame.Length)
        {
            return FrameError.TrailingBytes;
        }

        error = TryRead(frame[..v1Length], limits, out var fields);
        if (error == FrameError.None)
        {
            view = new FrameView(fields.Room, fields.Event, fields.Dst, fields.Src, fields.Payload, frame[meta]);
        }

        return error;
    }

    // Reads the length prefix at position and the field after it; on success position moves past the field.
    private static bool TryReadField(ReadOnlySpan<byte> frame, ref int position, int maxBytes, FrameError tooLong, out Range field, out FrameError error)
    {
        field = default;
        var rest = frame.Length - position;
        if (rest < LengthPrefixBytes)
        {
            error = FrameError.Truncated;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(frame[position..]);
        position += LengthPrefixBytes;
        rest -= LengthPrefixBytes;

        // A length that runs past the end is malformed whatever its size; only a field that is really
        // there can be "over the limit". Unsigned compares: a length with the top bit set is just huge.
        if (length > (uint)rest)
        {
            error = FrameError.Truncated;
            return false;
        }

        if (length > (uint)maxBytes)
        {
            error = tooLong;
            return false;
        }

        field = new Range(position, position + (int)length);
        position += (int)length;
        error = FrameError.None;
        return true;
    }
}
