namespace WsRooms.Grains;

/// <summary>
/// A read of a room's log (<see cref="IRoomGrain.GetHistoryAsync"/>, <see cref="IRoomGrain.GetHistorySinceAsync"/>):
/// the frames, oldest first, and whether the log still held all that was asked for.
/// </summary>
/// <param name="Frames">The frames found, in position order; positions increase by exactly 1.</param>
/// <param name="Complete">
/// Whether <paramref name="Frames"/> is everything that was asked for. For a read since position S it is false when
/// the log no longer reaches back to S + 1 (retention dropped those frames, or the log was lost with its silo and
/// the room continued above S), or when S is beyond the room's last position: the client then reloads the room's
/// state (the <c>history_gone</c> answer). For a read of the last N frames it is false when fewer than N were found
/// and retention had already dropped older ones.
/// </param>
/// <param name="LastPosition">
/// The room's last position when the log was read, the one a later read since it starts from. A room that has
/// logged nothing since its log began reports the position just below its first.
/// </param>
/// <param name="OldestPosition">
/// The oldest position the log still held, or <c>LastPosition + 1</c> when it held nothing: a read since S is
/// complete exactly when <c>OldestPosition ≤ S + 1 ≤ LastPosition + 1</c>.
/// </param>
[GenerateSerializer, Immutable, Alias("wsrooms.RoomHistory")]
public sealed record RoomHistory(
    [property: Id(0)] IReadOnlyList<LoggedFrame> Frames,
    [property: Id(1)] bool Complete,
    [property: Id(2)] long LastPosition,
    [property: Id(3)] long OldestPosition)
{
    /// <summary>A room without a log (<c>root</c>): nothing, never complete for a read since a position.</summary>
    public static RoomHistory None { get; } = new([], false, 0, 1);
}
