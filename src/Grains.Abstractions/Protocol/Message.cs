using System.Buffers;
using System.Text;

namespace WsRooms.Protocol;

/// <summary>
/// One protocol message (docs/protocol.md). It is what travels between edge hosts and grains, so it is an
/// immutable Orleans contract: the payload array is never changed after construction, which lets Orleans pass
/// it between grains without copying.
/// </summary>
/// <param name="Room">The room the message is about or sent to.</param>
/// <param name="Event">The event name.</param>
/// <param name="Dst">The recipient connection id on a direct message, else empty.</param>
/// <param name="Src">The sender's connection id, or empty for the server.</param>
/// <param name="Payload">Opaque bytes, often JSON. Treat as read-only.</param>
/// <remarks>
/// A v2 frame's meta is not a field here: a client's message id belongs to its sender's request and a position to
/// one delivery, and keeping both outside lets every v1 socket share one encoding of the message.
/// </remarks>
[GenerateSerializer, Immutable, Alias("wsrooms.Message")]
public sealed record Message(
    [property: Id(0)] string Room,
    [property: Id(1)] string Event,
    [property: Id(2)] string Dst,
    [property: Id(3)] string Src,
    [property: Id(4)] byte[] Payload)
{
    /// <summary>Decodes one v1 frame. Returns the reason on failure, never throws.</summary>
    public static FrameError TryParse(ReadOnlySpan<byte> frame, FrameLimits limits, out Message? message)
    {
        var error = FrameReader.TryRead(frame, limits, out var view);
        message = ToMessage(error, view);
        return error;
    }

    /// <summary>
    /// Decodes one frame of <paramref name="version"/>, with its meta apart (a new array, or an empty one; always
    /// empty in v1 and on failure). Returns the reason on failure, never throws on bad input.
    /// </summary>
    public static FrameError TryParse(ReadOnlySpan<byte> frame, FrameLimits limits, ProtocolVersion version, out Message? message, out byte[] meta)
    {
        var error = FrameReader.TryRead(frame, limits, version, out var view);
        message = ToMessage(error, view);
        meta = error == FrameError.None && !view.Meta.IsEmpty ? view.Meta.ToArray() : [];
        return error;
    }

    private static Message? ToMessage(FrameError error, FrameView view) =>
        error == FrameError.None
            ? new Message(
                // Names and ids repeat from frame to frame: looked up, not allocated (see Utf8StringCache).
                Utf8StringCache.GetString(view.Room),
                Utf8StringCache.GetString(view.Event),
                Utf8StringCache.GetString(view.Dst),
                Utf8StringCache.GetString(view.Src),
                view.Payload.ToArray())
            : null;

    /// <summary>The v1 frame's size in bytes.</summary>
    public int GetFrameLength() => FrameWriter.GetFrameLength(Room, Event, Dst, Src, Payload.Length);

    /// <summary>The size in bytes of the frame of <paramref name="version"/> with a meta of <paramref name="metaLength"/> bytes.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public int GetFrameLength(ProtocolVersion version, int metaLength) =>
        FrameWriter.GetFrameLength(Room, Event, Dst, Src, Payload.Length, version, metaLength);

    /// <summary>Encodes the message as a new v1 frame.</summary>
    public byte[] ToBytes() => FrameWriter.ToArray(Room, Event, Dst, Src, Payload);

    /// <summary>Encodes the message as a new frame of <paramref name="version"/> carrying <paramref name="meta"/>.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public byte[] ToBytes(ProtocolVersion version, ReadOnlySpan<byte> meta) => FrameWriter.ToArray(Room, Event, Dst, Src, Payload, version, meta);

    /// <summary>Encodes the message as a v1 frame into <paramref name="writer"/> (for pooled buffers).</summary>
    public void WriteTo(IBufferWriter<byte> writer) => FrameWriter.Write(writer, Room, Event, Dst, Src, Payload);

    /// <summary>Encodes the message as a frame of <paramref name="version"/> carrying <paramref name="meta"/> into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">A v1 frame is given a meta, which it cannot carry.</exception>
    public void WriteTo(IBufferWriter<byte> writer, ProtocolVersion version, ReadOnlySpan<byte> meta) =>
        FrameWriter.Write(writer, Room, Event, Dst, Src, Payload, version, meta);

    /// <summary>The payload read as UTF-8 text, for logs and tests.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload);

    /// <summary>A message whose payload is the UTF-8 bytes of <paramref name="payload"/>.</summary>
    public static Message FromText(string room, string @event, string dst, string src, string payload) =>
        new(room, @event, dst, src, Encoding.UTF8.GetBytes(payload));
}
