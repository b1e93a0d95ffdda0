using System.Buffers.Binary;

namespace WsRooms.Protocol;

/// <summary>
/// The position a server writes into the <c>meta</c> of a v2 frame (docs/protocol.md): exactly 8 bytes, a
/// big-endian unsigned 64-bit number. A server frame's meta is either that or empty.
/// </summary>
public static class FramePosition
{
    /// <summary>The size of a position in meta.</summary>
    public const int Length = sizeof(ulong);

    /// <summary>Writes <paramref name="position"/> into the first <see cref="Length"/> bytes of <paramref name="meta"/>; returns <see cref="Length"/>.</summary>
    public static int Write(Span<byte> meta, ulong position)
    {
        BinaryPrimitives.WriteUInt64BigEndian(meta, position);
        return Length;
    }

    /// <summary>A new meta of exactly <see cref="Length"/> bytes holding <paramref name="position"/>.</summary>
    public static byte[] ToMeta(ulong position)
    {
        var meta = new byte[Length];
        Write(meta, position);
        return meta;
    }

    /// <summary>
    /// Reads the meta of a frame from the server. True when it keeps the server's rule: empty
    /// (<paramref name="position"/> is null: the frame has no position) or exactly <see cref="Length"/> bytes
    /// (the position). False for any other length, which no server sends.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> meta, out ulong? position)
    {
        if (meta.IsEmpty)
        {
            position = null;
            return true;
        }

        if (meta.Length != Length)
        {
            position = null;
            return false;
        }

        position = BinaryPrimitives.ReadUInt64BigEndian(meta);
        return true;
    }
}
