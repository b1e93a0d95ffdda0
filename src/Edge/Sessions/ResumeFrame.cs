using System.Text.Json;
using WsRooms.Protocol;

namespace WsRooms.Edge.Sessions;

/// <summary>
/// The first frame of a resume socket (docs/protocol.md, "Resume"): <c>(root, wsrooms.resume, "", "", {"token": …,
/// "rooms": {room: last seq, …}, "direct": last direct seq})</c>. <c>rooms</c> and <c>direct</c> may be left out or
/// null (then nothing is replayed for them); a payload of any other shape is read as an unknown token.
/// </summary>
/// <param name="Token">The token; empty when the payload was not the resume JSON.</param>
/// <param name="Rooms">The last position the client received per room.</param>
/// <param name="DirectAfter">The last direct position it received; null when it named none.</param>
internal sealed record ResumeFrame(string Token, IReadOnlyDictionary<string, long> Rooms, long? DirectAfter)
{
    private static readonly ResumeFrame Unreadable = new("", new Dictionary<string, long>(), null);

    /// <summary>True when <paramref name="message"/> is the frame a resume socket must begin with: <c>wsrooms.resume</c> on root.</summary>
    public static bool IsResumeFrame(Message message) =>
        message is { Room: EventNames.RootRoom, Event: EventNames.Resume };

    /// <summary>The request in <paramref name="payload"/>; one with an empty token when it is not the resume JSON.</summary>
    public static ResumeFrame Parse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("token"u8, out var token) || token.ValueKind != JsonValueKind.String)
            {
                return Unreadable;
            }

            var rooms = new Dictionary<string, long>(StringComparer.Ordinal);
            if (root.TryGetProperty("rooms"u8, out var roomList) && roomList.ValueKind != JsonValueKind.Null)
            {
                if (roomList.ValueKind != JsonValueKind.Object)
                {
                    return Unreadable;
                }

                foreach (var room in roomList.EnumerateObject())
                {
                    if (room.Value.ValueKind != JsonValueKind.Number || !room.Value.TryGetInt64(out var seq) || seq < 0)
                    {
                        return Unreadable;
                    }

                    rooms[room.Name] = seq;
                }
            }

            long? direct = null;
            if (root.TryGetProperty("direct"u8, out var directSeq) && directSeq.ValueKind != JsonValueKind.Null)
            {
                if (directSeq.ValueKind != JsonValueKind.Number || !directSeq.TryGetInt64(out var d) || d < 0)
                {
                    return Unreadable;
                }

                direct = d;
            }

            return new ResumeFrame(token.GetString()!, rooms, direct);
        }
        catch (JsonException)
        {
            return Unreadable;
        }
    }
}
