using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace WsRooms.Protocol;

/// <summary>Writes the wire frame of docs/protocol.md into a span, an <see cref="IBufferWriter{T}"/> or a new array.</summary>
public static class FrameWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The exact size in bytes of the frame these fields make.</summary>
    public static int GetFrameLength(string room, string @event, string dst, string src, int payloadLength) =>
        FrameLimits.HeaderBytes
        + Utf8.GetByteCount(room) + Utf8.GetByteCount(@event) + Utf8.GetByteCount(dst) + Utf8.GetByteCount(src)
        + payloadLength;

    /// <summary>Writes a frame into <paramref name="destination"/>, which must hold <see cref="GetFrameLength"/> bytes; returns the bytes written.</summary>
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

    /// <summary>Writes a frame into <paramref name="writer"/> in one contiguous piece.</summary>
    public static void Write(IBufferWriter<byte> writer, string room, string @event, string dst, string src, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = GetFrameLength(room, @event, dst, src, payload.Length);
        var span = writer.GetSpan(length);
        writer.Advance(Write(span, room, @event, dst, src, payload));
    }

    /// <summary>Writes a frame into a new array of exactly its size.</summary>
    public static byte[] ToArray(string room, string @event, string dst, string src, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[GetFrameLength(room, @event, dst, src, payload.Length)];
        Write(frame, room, @event, dst, src, payload);
        return frame;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Utf8.GetBytes(value, destination[sizeof(uint)..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)length);
        return sizeof(uint) + length;
    }
}
