using WsRooms.Protocol;

namespace WsRooms.Client;

/// <summary>A received message with its v2 position (docs/protocol.md, "Positions").</summary>
/// <param name="Message">The message.</param>
/// <param name="Position">
/// Its position in its room's log (a broadcast, <c>new_member</c>, <c>member_left</c>, or history and replayed
/// frames, which keep their original positions) or, for a direct message, in this session's direct log; 0 when
/// it has none (v1, root, and frames the server does not log).
/// </param>
public readonly record struct WsRoomsFrame(Message Message, long Position);
