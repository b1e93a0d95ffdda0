using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>How the edge writes a server frame for one socket: v1 as before, v2 with the frame's position in meta.</summary>
internal static class WireEncoding
{
    /// <summary>
    /// <paramref name="message"/> for a socket of <paramref name="v2"/>: the v1 frame, or the v2 frame whose meta is
    /// the 8-byte position when <paramref name="position"/> is above 0, else empty (docs/protocol.md, "What meta holds").
    /// </summary>
    public static byte[] Encode(Message message, bool v2, long position)
    {
        if (!v2)
        {
            return message.ToBytes();
        }

        Span<byte> meta = stackalloc byte[FramePosition.Length];
        return message.ToBytes(ProtocolVersion.V2, position > 0 ? meta[..FramePosition.Write(meta, (ulong)position)] : []);
    }

    /// <summary>The v2 frame made of the v1 frame <paramref name="v1"/> and the meta of <paramref name="position"/> (0: empty).</summary>
    public static byte[] AppendMeta(ReadOnlySpan<byte> v1, long position)
    {
        var metaLength = position > 0 ? FramePosition.Length : 0;
        var frame = new byte[v1.Length + FrameWriter.GetMetaFieldLength(metaLength)];
        v1.CopyTo(frame);
        Span<byte> meta = stackalloc byte[FramePosition.Length];
        if (position > 0)
        {
            FramePosition.Write(meta, (ulong)position);
        }

        FrameWriter.WriteMetaField(frame.AsSpan(v1.Length), meta[..metaLength]);
        return frame;
    }
}
