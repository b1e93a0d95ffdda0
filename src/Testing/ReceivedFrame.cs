using System.Text.Json;
using WsRooms.Protocol;

namespace WsRooms.Testing;

/// <summary>
/// One frame a <see cref="TestClient"/> received: the message, and on a v2 connection its <c>meta</c> and the position
/// that meta holds (docs/protocol.md). On a v1 connection <see cref="Meta"/> is always empty.
/// </summary>
/// <param name="Message">The five fields every version has.</param>
/// <param name="Meta">The sixth field of a v2 frame, as it came (empty on v1).</param>
/// <param name="Position">The frame's position in its log (its room's, or for a direct message the recipient's direct log), or null when it has none.</param>
public sealed record ReceivedFrame(Message Message, byte[] Meta, long? Position)
{
    /// <summary>The frame's room.</summary>
    public string Room => Message.Room;

    /// <summary>The frame's event.</summary>
    public string Event => Message.Event;

    /// <summary>The frame's payload as UTF-8 text.</summary>
    public string PayloadText => Message.PayloadText;

    /// <summary>The frame's payload parsed as JSON (the server's <c>wsrooms.*</c> frames carry JSON objects).</summary>
    public JsonElement Json => JsonSerializer.Deserialize<JsonElement>(Message.Payload);

    /// <summary>True when this is <paramref name="event"/> in <paramref name="room"/>.</summary>
    public bool Is(string room, string @event) => Message.Room == room && Message.Event == @event;

    /// <inheritdoc/>
    public override string ToString() => $"({Room}, {Event}, {Message.Dst}, {Message.Src}, {PayloadText}) @{Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}";
}
