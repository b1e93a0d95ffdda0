namespace WsRooms.Grains;

/// <summary>What became of a v2 client's broadcast or direct message (docs/protocol.md, "Acknowledged publish").</summary>
/// <param name="Position">The frame's position in the room's log (or the recipient's direct log); 0 when refused.</param>
/// <param name="Error">
/// Null when the frame was logged: its ack is posted to the sender's edge host through the stream, after the frame is
/// logged (and, in a durable room, stored). Otherwise the refusal's code (<c>not_member</c>, <c>unknown_dst</c>), which
/// the edge host answers itself; a refusal is not remembered, so a retry can succeed.
/// </param>
/// <param name="Repeated">True when the frame's <c>mid</c> had been accepted before: it was not delivered again, and its first ack was sent again.</param>
[GenerateSerializer, Immutable, Alias("wsrooms.PublishOutcome")]
public sealed record PublishOutcome(
    [property: Id(0)] long Position,
    [property: Id(1)] string? Error = null,
    [property: Id(2)] bool Repeated = false)
{
    /// <summary>Logged at <paramref name="position"/>.</summary>
    public static PublishOutcome Accepted(long position, bool repeated = false) => new(position, null, repeated);

    /// <summary>Refused with <paramref name="code"/>.</summary>
    public static PublishOutcome Refused(string code) => new(0, code);
}
