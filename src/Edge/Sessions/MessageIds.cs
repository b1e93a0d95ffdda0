using System.Text.Unicode;
using WsRooms.Protocol;

namespace WsRooms.Edge.Sessions;

/// <summary>
/// The rule for a v2 client's message id (<c>mid</c>, the meta of a broadcast or a direct message; docs/protocol.md,
/// "Acknowledged publish"): 1 to <see cref="MaxBytes"/> bytes of UTF-8, because the ack echoes it as a JSON string.
/// </summary>
internal static class MessageIds
{
    /// <summary>The longest mid, whatever <c>WsRooms:Limits:MaxMetaBytes</c> allows the frame.</summary>
    public const int MaxBytes = 64;

    /// <summary>
    /// <see cref="FrameError.None"/> for a valid mid; <see cref="FrameError.MetaTooLong"/> (close 1009) for a longer one,
    /// <see cref="FrameError.InvalidUtf8"/> (close 1007) for one that is not UTF-8.
    /// </summary>
    public static FrameError Check(ReadOnlySpan<byte> mid) =>
        mid.Length > MaxBytes ? FrameError.MetaTooLong
        : !Utf8.IsValid(mid) ? FrameError.InvalidUtf8
        : FrameError.None;
}
