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
[GenerateSerializer, Immutable, Alias("wsrooms.Message")]
public sealed record Message(
    [property: Id(0)] string Room,
    [property: Id(1)] string Event,
    [property: Id(2)] string Dst,
    [property: Id(3)] string Src,
    [property: Id(4)] byte[] Payload)
{
    /// <summary>Decodes one frame. Returns the reason on failure, never throws.</summary>
    public static FrameError TryParse(ReadOnlySpan<byte> frame, FrameLimits limits, out Message? message)
    {
        var error = FrameReader.TryRead(frame, limits, out var view);
        message = error == FrameError.None
            ? new Message(
                // Names and ids repeat from frame to frame: looked up, not allocated (see Utf8StringCache).
                Utf8StringCache.GetString(view.Room),
                Utf8StringCache.GetString(view.Event),
                Utf8StringCache.GetString(view.Dst),
                Utf8StringCache.GetString(view.Src),
                view.Payload.ToArray())
            : null;
        return error;
    }

    /// <summary>The frame's size in bytes.</summary>
    public int GetFrameLength() => FrameWriter.GetFrameLength(Room, Event, Dst, Src, Payload.Length);

    /// <summary>Encodes the message as a new frame.</summary>
    public byte[] ToBytes() => FrameWriter.ToArray(Room, Event, Dst, Src, Payload);

    /// <summary>Encodes the message into <paramref name="writer"/> (for pooled buffers).</summary>
    public void WriteTo(IBufferWriter<byte> writer) => FrameWriter.Write(writer, Room, Event, Dst, Src, Payload);

    /// <summary>The payload read as UTF-8 text, for logs and tests.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload);

    /// <summary>A message whose payload is the UTF-8 bytes of <paramref name="payload"/>.</summary>
    public static Message FromText(string room, string @event, string dst, string src, string payload) =>
        new(room, @event, dst, src, Encoding.UTF8.GetBytes(payload));
}
