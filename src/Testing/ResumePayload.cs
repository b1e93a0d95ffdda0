using System.Text.Json;
using System.Text.Json.Serialization;
using WsRooms.Protocol;

namespace WsRooms.Testing;

/// <summary>
/// What a v2 client sends as the first frame of a resume socket, <c>(root, wsrooms.resume, "", "", {"token": …,
/// "rooms": {room: last seq}, "direct": last direct seq})</c> (docs/protocol.md, "Resume"). Make one from what a client
/// saw with <see cref="TestClient.CreateResumePayload"/>, change it with <c>with</c> to test the server's answers.
/// </summary>
/// <param name="Token">The session's resume token, from <c>wsrooms.session</c> or the last <c>wsrooms.resumed</c>.</param>
/// <param name="Rooms">The last position received in each room; a room left out is answered <c>false</c>.</param>
/// <param name="Direct">The last position received in the session's direct log, or null for none.</param>
public sealed record ResumePayload(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("rooms")] IReadOnlyDictionary<string, long> Rooms,
    [property: JsonPropertyName("direct"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Direct)
{
    /// <summary>The resume frame carrying this payload.</summary>
    public Message ToMessage() =>
        new(EventNames.RootRoom, EventNames.Resume, "", "", JsonSerializer.SerializeToUtf8Bytes(this));
}
