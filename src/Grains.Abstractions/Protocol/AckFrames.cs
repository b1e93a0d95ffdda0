using System.Buffers;
using System.Text.Json;

namespace WsRooms.Protocol;

/// <summary>
/// v2's acknowledgement of a publish, to its sender only: <c>(room, "wsrooms.ack", "", "", {"mid": …, "seq": …})</c>
/// once the frame is logged, or <c>{"mid": …, "error": …}</c> when it was refused (docs/protocol.md, "Acknowledged
/// publish"). <c>mid</c> is there only when the frame carried one.
/// </summary>
public static class AckFrames
{
    /// <summary>
    /// The ack of a frame logged at <paramref name="position"/> in <paramref name="room"/>'s log (for a direct message:
    /// in its recipient's direct log; <paramref name="room"/> is then the frame's room).
    /// </summary>
    /// <param name="room">The room of the frame acknowledged.</param>
    /// <param name="mid">The client's message id, UTF-8 (1–64 bytes, checked at parse); empty when it gave none.</param>
    /// <param name="position">The frame's position.</param>
    public static Message Accepted(string room, ReadOnlySpan<byte> mid, long position)
    {
        var buffer = new ArrayBufferWriter<byte>(mid.Length + 40);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (!mid.IsEmpty)
            {
                writer.WriteString("mid"u8, mid);
            }

            writer.WriteNumber("seq"u8, position);
            writer.WriteEndObject();
        }

        return new Message(room, EventNames.Ack, "", "", buffer.WrittenSpan.ToArray());
    }

    /// <summary>The ack of a refused frame: <paramref name="code"/> is one of <see cref="ErrorFrames"/>' codes.</summary>
    /// <param name="room">The room of the frame refused.</param>
    /// <param name="mid">The client's message id, UTF-8; empty when it gave none.</param>
    /// <param name="code">Why: <c>not_member</c>, <c>publish_denied</c>, <c>unknown_dst</c>, …</param>
    public static Message Refused(string room, ReadOnlySpan<byte> mid, string code)
    {
        var buffer = new ArrayBufferWriter<byte>(mid.Length + code.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (!mid.IsEmpty)
            {
                writer.WriteString("mid"u8, mid);
            }

            writer.WriteString("error"u8, code);
            writer.WriteEndObject();
        }

        return new Message(room, EventNames.Ack, "", "", buffer.WrittenSpan.ToArray());
    }
}
