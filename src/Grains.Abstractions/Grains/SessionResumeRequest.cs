namespace WsRooms.Grains;

/// <summary>A resume socket's <c>wsrooms.resume</c> frame, as the edge host passes it to <see cref="IConnectionGrain.ResumeAsync"/>.</summary>
/// <param name="Token">The resume token the client presented.</param>
/// <param name="Identity">The identity the new socket authenticated as (the JWT <c>sub</c>; empty when anonymous).</param>
/// <param name="EdgeId">The edge host the new socket is on.</param>
/// <param name="Rooms">The last position the client received in each room; a room it names no position for is not replayed.</param>
/// <param name="DirectAfter">The last direct-message position it received; null when it names none (no direct replay).</param>
[GenerateSerializer, Immutable, Alias("wsrooms.SessionResumeRequest")]
public sealed record SessionResumeRequest(
    [property: Id(0)] string Token,
    [property: Id(1)] string Identity,
    [property: Id(2)] string EdgeId,
    [property: Id(3)] IReadOnlyDictionary<string, long> Rooms,
    [property: Id(4)] long? DirectAfter);
