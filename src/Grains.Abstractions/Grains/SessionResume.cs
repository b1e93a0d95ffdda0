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

/// <summary>The answer to a resume: on success, everything the new edge host needs to re-attach the session.</summary>
/// <param name="Outcome">Whether it resumed; on anything but <see cref="ResumeOutcome.Resumed"/> the other fields are empty.</param>
/// <param name="SessionId">The session's id, the same as before the resume (its <c>join_ack</c> names it).</param>
/// <param name="Session">The new token, the grace period and this socket's attachment.</param>
/// <param name="Rooms">
/// Every room of the session (root included when it is a member of root) and the room's last position when the member
/// moved to the new edge. Live frames of that room reach the new edge after the move, above that position; the edge
/// replays <c>IRoomGrain.GetHistorySinceAsync(client's position, before: that position + 1)</c> first. 0 for
/// <c>root</c>, which has no log.
/// </param>
/// <param name="Direct">
/// The session's direct messages after the position the client gave, oldest first, each with its position;
/// <see cref="RoomHistory.Complete"/> is false when the direct log no longer reaches back that far. Direct messages
/// sent after the resume reach the new edge live, above <see cref="RoomHistory.LastPosition"/>.
/// </param>
/// <param name="PreviousEdgeId">The edge host the session was attached to before.</param>
/// <param name="PreviousSocketOpen">
/// True when the session was not suspended: its old socket may still be open on <paramref name="PreviousEdgeId"/>,
/// and that edge host closes it with 4001.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.SessionResume")]
public sealed record SessionResume(
    [property: Id(0)] ResumeOutcome Outcome,
    [property: Id(1)] string SessionId = "",
    [property: Id(2)] SessionStart? Session = null,
    [property: Id(3)] IReadOnlyDictionary<string, long>? Rooms = null,
    [property: Id(4)] RoomHistory? Direct = null,
    [property: Id(5)] string PreviousEdgeId = "",
    [property: Id(6)] bool PreviousSocketOpen = false)
{
    /// <summary>A refused resume with <paramref name="outcome"/>.</summary>
    public static SessionResume Refused(ResumeOutcome outcome) => new(outcome);
}
