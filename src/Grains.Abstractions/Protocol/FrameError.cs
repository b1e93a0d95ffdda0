using System.Net.WebSockets;

namespace WsRooms.Protocol;

/// <summary>Why a frame was refused. Parsing never throws; it reports one of these instead.</summary>
public enum FrameError
{
    /// <summary>The frame is well formed.</summary>
    None = 0,

    /// <summary>A length prefix is missing or a length runs past the end of the message.</summary>
    Truncated,

    /// <summary>Bytes are left over after the last field: the payload in v1, meta in v2.</summary>
    TrailingBytes,

    /// <summary>The whole message is larger than <see cref="FrameLimits.MaxMessageBytes"/>.</summary>
    MessageTooLarge,

    /// <summary>The room name is longer than <see cref="FrameLimits.MaxRoomBytes"/>.</summary>
    RoomTooLong,

    /// <summary>The event name is longer than <see cref="FrameLimits.MaxEventBytes"/>.</summary>
    EventTooLong,

    /// <summary>dst or src is longer than <see cref="FrameLimits.MaxIdBytes"/>.</summary>
    IdTooLong,

    /// <summary>The room name is empty.</summary>
    EmptyRoom,

    /// <summary>The event name is empty.</summary>
    EmptyEvent,

    /// <summary>room, event, dst or src is not valid UTF-8.</summary>
    InvalidUtf8,

    // Last, so that every v1 error keeps its number.
    /// <summary>The meta of a v2 frame is longer than <see cref="FrameLimits.MaxMetaBytes"/>: a client's message id over its limit.</summary>
    MetaTooLong,
}

/// <summary>Maps a <see cref="FrameError"/> to the close code the protocol gives it (docs/protocol.md).</summary>
public static class FrameErrorExtensions
{
    /// <summary>
    /// Structural errors close with 1002, size limits with 1009 (a field over its limit is the same
    /// offence as a message over its limit), bad text with 1007.
    /// </summary>
    public static WebSocketCloseStatus ToCloseStatus(this FrameError error) => error switch
    {
        FrameError.None => CloseCodes.Normal,
        FrameError.MessageTooLarge or FrameError.RoomTooLong or FrameError.EventTooLong or FrameError.IdTooLong
            or FrameError.MetaTooLong
            => CloseCodes.MessageTooBig,
        FrameError.InvalidUtf8 => CloseCodes.InvalidUtf8,
        _ => CloseCodes.MalformedFrame,
    };

    /// <summary>A short reason, fit for a WebSocket close frame (at most 123 bytes).</summary>
    public static string ToReason(this FrameError error) => error switch
    {
        FrameError.None => "ok",
        FrameError.Truncated => "malformed frame: a length runs past the end",
        FrameError.TrailingBytes => "malformed frame: bytes after the payload",
        FrameError.MessageTooLarge => "message over the size limit",
        FrameError.RoomTooLong => "room name over the size limit",
        FrameError.EventTooLong => "event name over the size limit",
        FrameError.IdTooLong => "dst or src over the size limit",
        FrameError.MetaTooLong => "meta over the size limit",
        FrameError.EmptyRoom => "malformed frame: empty room",
        FrameError.EmptyEvent => "malformed frame: empty event",
        FrameError.InvalidUtf8 => "a string field is not valid UTF-8",
        _ => "malformed frame",
    };
}
