using System.Buffers;
using System.Text.Json;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Sessions;

/// <summary>The frames the edge itself writes about a v2 session: <c>wsrooms.session</c> and <c>wsrooms.resumed</c>.</summary>
internal static class SessionFrames
{
    /// <summary><c>(root, wsrooms.session, "", "", {"token": …, "grace_ms": …})</c>, right after a fresh connect's root join_ack.</summary>
    public static Message Session(SessionStart start) =>
        Write(EventNames.Session, writer =>
        {
            writer.WriteString("token"u8, start.Token);
            writer.WriteNumber("grace_ms"u8, (long)start.GracePeriod.TotalMilliseconds);
        });

    /// <summary>
    /// <c>(root, wsrooms.resumed, "", "", {"resumed": true, "token", "grace_ms", "rooms": {room: bool}, "direct": bool})</c>,
    /// after a resumed session's join_ack.
    /// </summary>
    public static Message Resumed(SessionResume resume) =>
        Write(EventNames.Resumed, writer =>
        {
            writer.WriteBoolean("resumed"u8, true);
            writer.WriteString("token"u8, resume.Session!.Token);
            writer.WriteNumber("grace_ms"u8, (long)resume.Session.GracePeriod.TotalMilliseconds);
            writer.WriteStartObject("rooms"u8);
            foreach (var (room, replayed) in resume.Rooms ?? new Dictionary<string, bool>())
            {
                if (room != EventNames.RootRoom)
                {
                    writer.WriteBoolean(room, replayed);
                }
            }

            writer.WriteEndObject();
            writer.WriteBoolean("direct"u8, resume.Direct);
        });

    /// <summary><c>(root, wsrooms.resumed, "", "", {"resumed": false})</c>, after a failed resume's fresh session frames.</summary>
    public static Message NotResumed() => Write(EventNames.Resumed, writer => writer.WriteBoolean("resumed"u8, false));

    private static Message Write(string @event, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return new Message(EventNames.RootRoom, @event, "", "", buffer.WrittenSpan.ToArray());
    }
}
