using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace WsRooms.Protocol;

/// <summary>
/// Writes the wire frame of docs/protocol.md into a span, an <see cref="IBufferWriter{T}"/> or a new array. The
/// calls without a <see cref="ProtocolVersion"/> write v1. A v2 frame is its v1 frame followed by the meta field
/// (<see cref="WriteMetaField"/>), so one v1 encoding can be shared and only the meta written per v2 recipient.
/// </summary>
public static class FrameWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The exact size in bytes of the frame these fields make.</summary>
    public static int GetFrameLength(string room, string @event, string dst, string src, int payloadLength) =>
        FrameLimits.HeaderBytes
        + Utf8.GetByteCount(room) + Utf8.GetByteCount(@event) + Utf8.GetByteCount(dst) + Utf8.GetByteCount(src)
        + payloadLength;

    /// <summary>The exact size in bytes of the frame of <paramref name="version"/> these fields make.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public static int GetFrameLength(string room, string @event, string dst, string src, int payloadLength, ProtocolVersion version, int metaLength) =>
        GetFrameLength(room, @event, dst, src, payloadLength) + GetTailLength(version, metaLength);

    /// <summary>The size of the meta field, length prefix included, that follows a v1 frame to make it v2.</summary>
    public static int GetMetaFieldLength(int metaLength) => sizeof(uint) + metaLength;

    /// <summary>
    /// Writes the meta field (its length, then <paramref name="meta"/>) into <paramref name="destination"/>; returns
    /// the bytes written. Right after a v1 frame it makes that frame v2.
    /// </summary>
    public static int WriteMetaField(Span<byte> destination, ReadOnlySpan<byte> meta)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)meta.Length);
        meta.CopyTo(destination[sizeof(uint)..]);
        return sizeof(uint) + meta.Length;
    }

    /// <summary>Writes a v1 frame into <paramref name="destination"/>, which must hold <see cref="GetFrameLength(string, string, string, string, int)"/> bytes; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, string room, string @event, string dst, string src, ReadOnlySpan<byte> payload)
    {
        var written = WriteString(destination, room);
        written += WriteString(destination[written..], @event);
        written += WriteString(destination[written..], dst);
        written += WriteString(destination[written..], src);
        BinaryPrimitives.WriteUInt32BigEndian(destination[written..], (uint)payload.Length);
        written += sizeof(uint);
        payload.CopyTo(destination[written..]);
        return written + payload.Length;
    }

    /// <summary>
    /// Writes a frame of <paramref name="version"/> into <paramref name="destination"/>, which must hold
    /// <see cref="GetFrameLength(string, string, string, string, int, ProtocolVersion, int)"/> bytes; returns the bytes written.
    /// </summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public static int Write(
        Span<byte> destination, string room, string @event, string dst, string src, ReadOnlySpan<byte> payload, ProtocolVersion version, ReadOnlySpan<byte> meta)
    {
        GetTailLength(version, meta.Length);
        var written = Write(destination, room, @event, dst, src, payload);
        return version == ProtocolVersion.V2 ? written + WriteMetaField(destination[written..], meta) : written;
    }

    /// <summary>Writes a v1 frame into <paramref name="writer"/> in one contiguous piece.</summary>
    public static void Write(IBufferWriter<byte> writer, string room, string @event, string dst, string src, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = GetFrameLength(room, @event, dst, src, payload.Length);
        var span = writer.GetSpan(length);
        writer.Advance(Write(span, room, @event, dst, src, payload));
    }

    /// <summary>Writes a frame of <paramref name="version"/> into <paramref name="writer"/> in one contiguous piece.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public static void Write(
        IBufferWriter<byte> writer, string room, string @event, string dst, string src, ReadOnlySpan<byte> payload, ProtocolVersion version, ReadOnlySpan<byte> meta)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = GetFrameLength(room, @event, dst, src, payload.Length, version, meta.Length);
        var span = writer.GetSpan(length);
        writer.Advance(Write(span, room, @event, dst, src, payload, version, meta));
    }

    /// <summary>Writes a v1 frame into a new array of exactly its size.</summary>
    public static byte[] ToArray(string room, string @event, string dst, string src, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[GetFrameLength(room, @event, dst, src, payload.Length)];
        Write(frame, room, @event, dst, src, payload);
        return frame;
    }

    /// <summary>Writes a frame of <paramref name="version"/> into a new array of exactly its size.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public static byte[] ToArray(string room, string @event, string dst, string src, ReadOnlySpan<byte> payload, ProtocolVersion version, ReadOnlySpan<byte> meta)
    {
        var frame = new byte[GetFrameLength(room, @event, dst, src, payload.Length, version, meta.Length)];
        Write(frame, room, @event, dst, src, payload, version, meta);
        return frame;
    }

    // What follows the payload: nothing in v1 (where a meta is a caller's mistake, not something to drop), the
    // meta field in v2.
    private static int GetTailLength(ProtocolVersion version, int metaLength) => version switch
    {
        ProtocolVersion.V1 when metaLength == 0 => 0,
        ProtocolVersion.V1 => throw new ArgumentException("A v1 frame has no meta.", nameof(metaLength)),
        ProtocolVersion.V2 => GetMetaFieldLength(metaLength),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a protocol version."),
    };

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Utf8.GetBytes(value, destination[sizeof(uint)..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)length);
        return sizeof(uint) + length;
    }
}
