namespace WsRooms.Protocol;

/// <summary>
/// Size limits a frame must keep (docs/protocol.md). The defaults are the protocol's; an edge host
/// binds its own from configuration (<c>WsRooms:Limits</c>).
/// </summary>
public sealed class FrameLimits
{
    /// <summary>The smallest possible frame: five empty fields, five 4-byte lengths.</summary>
    public const int HeaderBytes = 20;

    /// <summary>The smallest possible v2 frame: six empty fields, six 4-byte lengths.</summary>
    public const int V2HeaderBytes = 24;

    /// <summary>A fresh copy of the protocol's limits (a copy, so that nobody can change them for everyone).</summary>
    public static FrameLimits Default => new();

    /// <summary>Largest whole message in bytes. Default 64 KiB, the protocol's.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Largest room name in UTF-8 bytes (a room name has at least one). Default 128.</summary>
    public int MaxRoomBytes { get; set; } = 128;

    /// <summary>Largest event name in UTF-8 bytes (an event has at least one). Default 64.</summary>
    public int MaxEventBytes { get; set; } = 64;

    /// <summary>Largest dst or src in UTF-8 bytes. Default 64; connection ids are 36.</summary>
    public int MaxIdBytes { get; set; } = 64;

    /// <summary>
    /// Largest <c>meta</c> of a v2 frame, in bytes. Default 64: from a client, meta is empty or a message id of
    /// 1 to 64 bytes. It applies to frames from the server too, so it may not be below
    /// <see cref="FramePosition.Length"/>, or a client reading with the edge's limits would refuse every position.
    /// </summary>
    public int MaxMetaBytes { get; set; } = 64;

    /// <summary>Throws when a limit makes no sense, so a bad configuration stops start-up with a clear message.</summary>
    public void Validate()
    {
        if (MaxMessageBytes < HeaderBytes + 2)
        {
            throw new InvalidOperationException($"{nameof(MaxMessageBytes)} must be at least {HeaderBytes + 2} (was {MaxMessageBytes}).");
        }

        if (MaxRoomBytes < 1 || MaxEventBytes < 1 || MaxIdBytes < 36)
        {
            throw new InvalidOperationException(
                $"{nameof(MaxRoomBytes)} and {nameof(MaxEventBytes)} must be at least 1 and {nameof(MaxIdBytes)} at least 36 " +
                $"(were {MaxRoomBytes}, {MaxEventBytes}, {MaxIdBytes}).");
        }

        if (MaxMetaBytes < FramePosition.Length)
        {
            throw new InvalidOperationException(
                $"{nameof(MaxMetaBytes)} must be at least {FramePosition.Length}, the size of a position (was {MaxMetaBytes}).");
        }
    }
}
