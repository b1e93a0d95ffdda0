namespace WsRooms.Grains;

/// <summary>What an edge host tells a v2 client when its session begins or resumes: its <c>wsrooms.session</c> frame.</summary>
/// <param name="Token">The resume token (<see cref="SessionTokens"/>): single-use, bound to the session and its identity.</param>
/// <param name="GracePeriod">How long the session waits for a resume once suspended (<c>grace_ms</c>).</param>
/// <param name="Attachment">
/// Which socket of the session this is: it grows with every resume. The edge passes it back to
/// <see cref="IConnectionGrain.SuspendAsync"/> and <see cref="IConnectionGrain.CloseSessionAsync"/>, so the end of a
/// socket the session has already left (resumed elsewhere) changes nothing.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.SessionStart")]
public sealed record SessionStart(
    [property: Id(0)] string Token,
    [property: Id(1)] TimeSpan GracePeriod,
    [property: Id(2)] long Attachment);
