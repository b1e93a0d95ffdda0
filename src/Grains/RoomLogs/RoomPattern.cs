namespace WsRooms.Grains.RoomLogs;

/// <summary>Room-name patterns as configuration writes them: an exact name, <c>*</c>, or a prefix ending in <c>*</c>.</summary>
internal static class RoomPattern
{
    public static bool IsValid(string pattern) =>
        pattern.Length > 0 && pattern.IndexOf('*', StringComparison.Ordinal) is var star && (star < 0 || star == pattern.Length - 1);

    public static bool IsPrefix(string pattern) => pattern.EndsWith('*');
}
