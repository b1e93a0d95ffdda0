using System.Text.Json;

namespace WsRooms.Testing;

/// <summary>
/// The server's answer to a resume, the payload of <c>(root, wsrooms.resumed, "", "", …)</c> (docs/protocol.md,
/// "Resume"): on success the new token and, per room, whether every missed frame follows; on failure only
/// <c>resumed: false</c> (the connection then is a fresh session, with a token of its own from <c>wsrooms.session</c>).
/// </summary>
/// <param name="Resumed">Whether the session was resumed (same id, same rooms).</param>
/// <param name="Token">The session's new resume token (null on failure).</param>
/// <param name="GraceMs">The grace period of the session in milliseconds (null on failure).</param>
/// <param name="Rooms">Each room of the session but root: true when every frame after the position given follows.</param>
/// <param name="Direct">Whether every direct message after the position given follows (null on failure).</param>
public sealed record ResumedPayload(bool Resumed, string? Token, int? GraceMs, IReadOnlyDictionary<string, bool> Rooms, bool? Direct)
{
    /// <summary>Reads the payload of a <c>wsrooms.resumed</c> frame; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static ResumedPayload Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            var rooms = new Dictionary<string, bool>(StringComparer.Ordinal);
            if (root.TryGetProperty("rooms", out var roomsElement))
            {
                foreach (var room in roomsElement.EnumerateObject())
                {
                    rooms[room.Name] = room.Value.GetBoolean();
                }
            }

            return new ResumedPayload(
                root.GetProperty("resumed").GetBoolean(),
                root.TryGetProperty("token", out var token) ? token.GetString() : null,
                root.TryGetProperty("grace_ms", out var grace) ? grace.GetInt32() : null,
                rooms,
                root.TryGetProperty("direct", out var direct) ? direct.GetBoolean() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Not a wsrooms.resumed payload: {System.Text.Encoding.UTF8.GetString(payload)}", e);
        }
    }
}
