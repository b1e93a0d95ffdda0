namespace WsRooms.Client;

/// <summary>What one resume of a v2 session gave (<see cref="WsRoomsClientOptions.OnResumed"/>).</summary>
/// <param name="Resumed">
/// True: the same session, with its id and rooms; every room marked true in <paramref name="Rooms"/> replays what
/// was missed, in order, before its live frames, and every unacknowledged send was sent again. False: the session
/// had ended (grace period over, or the token refused); the client now has a new <paramref name="Id"/>, has asked
/// to join its rooms again, and failed its unacknowledged sends.
/// </param>
/// <param name="Id">The connection id after the resume (the same as before when <paramref name="Resumed"/>).</param>
/// <param name="Uri">The endpoint the client is connected to now.</param>
/// <param name="Rooms">Each room of the session but root, and whether its log still held everything missed; false: reload that room's state.</param>
/// <param name="Direct">Whether every direct message sent meanwhile is replayed.</param>
/// <param name="Attempts">The attempts it took, this one included.</param>
/// <param name="Downtime">From the drop to the resumed socket.</param>
public sealed record WsRoomsResume(
    bool Resumed,
    string Id,
    Uri Uri,
    IReadOnlyDictionary<string, bool> Rooms,
    bool Direct,
    int Attempts,
    TimeSpan Downtime);
