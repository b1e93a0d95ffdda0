using WsRooms.Protocol;

namespace WsRooms.Grains.Storage;

/// <summary>
/// Where a durable room log keeps its frames: one partition per room, one row per position. Writes come in batches
/// (what piled up while the previous batch was written) and delete the old end in the same call, so a frame costs
/// one row written and, once the log is full, one row deleted, whatever the room's size.
/// </summary>
/// <remarks>
/// Each room has one writer at a time (its grain's activation), so there is no concurrency control here.
/// Implementation: <see cref="AzureTableRoomLogStore"/>. With memory storage there is none: a durable rule is
/// refused at silo start (<c>RoomLogOptionsValidator</c>).
/// </remarks>
internal interface IRoomLogStore
{
    /// <summary>
    /// The room's stored tail: its last position, the lowest position still stored, and the newest frames (up to
    /// <paramref name="maxFrames"/>) that follow each other without a gap and were small enough to be stored.
    /// </summary>
    Task<RoomLogTail> ReadTailAsync(string room, int maxFrames, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="frames"/> (in position order) and deletes every stored position from
    /// <paramref name="deleteFrom"/> up to, not including, <paramref name="deleteBelow"/>, in as few transactions as
    /// the store allows. Idempotent: a failed call can be repeated whole.
    /// </summary>
    Task WriteAsync(string room, IReadOnlyList<StoredFrame> frames, long deleteFrom, long deleteBelow);
}

/// <summary>One frame of a durable log: its position, the frame (null when it was too large to store), when it was logged.</summary>
internal readonly record struct StoredFrame(long Position, Message? Message, DateTimeOffset LoggedAt);

/// <summary>What <see cref="IRoomLogStore.ReadTailAsync"/> found.</summary>
/// <param name="LastPosition">The room's last stored position; 0 when nothing is stored.</param>
/// <param name="OldestPosition">The lowest position stored; 0 when nothing is stored.</param>
/// <param name="Frames">The newest stored frames, oldest first, ending at <paramref name="LastPosition"/>.</param>
internal sealed record RoomLogTail(long LastPosition, long OldestPosition, IReadOnlyList<StoredFrame> Frames)
{
    public static RoomLogTail Empty { get; } = new(0, 0, []);
}
