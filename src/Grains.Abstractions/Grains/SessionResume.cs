namespace WsRooms.Grains;

/// <summary>How a resume attempt (<see cref="IConnectionGrain.ResumeAsync"/>) ended.</summary>
[GenerateSerializer]
public enum ResumeOutcome : byte
{
    /// <summary>The session is attached to the new edge host; the old token is spent and a new one issued.</summary>
    Resumed = 0,

    /// <summary>No such session (never one, ended, or its grace period expired), or the token is not its current one (used, wrong).</summary>
    UnknownToken = 1,

    /// <summary>The token is right but the identity is not the session's; the token stays valid for its owner.</summary>
    ForeignIdentity = 2,
}

/// <summary>
/// The answer to a resume. On success the session is attached to the new edge host, and the frames it missed are on
/// their way there through the stream (<see cref="WsRooms.Delivery.MembershipChange.Replayed"/>), each room's before
/// its live frames; the edge host writes <c>join_ack</c> and <c>wsrooms.resumed</c> ahead of them.
/// </summary>
/// <param name="Outcome">Whether it resumed; on anything but <see cref="ResumeOutcome.Resumed"/> the other fields are empty.</param>
/// <param name="SessionId">The session's id, the same as before the resume (its <c>join_ack</c> names it).</param>
/// <param name="Session">The new token, the grace period and this socket's attachment.</param>
/// <param name="Rooms">
/// Every room of the session except <c>root</c>, and whether it replays everything after the client's position
/// (<see cref="RoomMove.Replayed"/>): the <c>rooms</c> of <c>wsrooms.resumed</c>.
/// </param>
/// <param name="Direct">Whether the direct messages after the client's direct position are all replayed: <c>direct</c> of <c>wsrooms.resumed</c>.</param>
/// <param name="PreviousEdgeId">The edge host the session was attached to before.</param>
/// <param name="PreviousSocketOpen">
/// True when the session was not suspended: its old socket may still be open on <paramref name="PreviousEdgeId"/>, and
/// the grain posted that edge host a <see cref="WsRooms.Delivery.MembershipChange.Superseded"/> delivery to close it
/// with 4001, ahead of anything it posts for the new socket.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.SessionResume")]
public sealed record SessionResume(
    [property: Id(0)] ResumeOutcome Outcome,
    [property: Id(1)] string SessionId = "",
    [property: Id(2)] SessionStart? Session = null,
    [property: Id(3)] IReadOnlyDictionary<string, bool>? Rooms = null,
    [property: Id(4)] bool Direct = false,
    [property: Id(5)] string PreviousEdgeId = "",
    [property: Id(6)] bool PreviousSocketOpen = false)
{
    /// <summary>A refused resume with <paramref name="outcome"/>.</summary>
    public static SessionResume Refused(ResumeOutcome outcome) => new(outcome);
}
