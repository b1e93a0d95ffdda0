namespace WsRooms.Protocol;

/// <summary>
/// Room-name patterns as configuration writes them, the same for the edge's room rules and the silo's room-log
/// rules: an exact name, <c>*</c> for every room, or a prefix ending in <c>*</c>. Names compare ordinally.
/// </summary>
public static class RoomPattern
{
    /// <summary>Whether <paramref name="pattern"/> is one of the three forms: not empty, with <c>*</c> only at its end.</summary>
    public static bool IsValid(ReadOnlySpan<char> pattern) =>
        pattern.Length > 0 && pattern.IndexOf('*') is var star && (star < 0 || star == pattern.Length - 1);

    /// <summary>Whether <paramref name="pattern"/> ends in <c>*</c>, so names starting with what comes before it match.</summary>
    public static bool IsPrefix(ReadOnlySpan<char> pattern) => pattern.Length > 0 && pattern[^1] == '*';

    /// <summary>Whether <paramref name="room"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(ReadOnlySpan<char> pattern, string room) =>
        IsPrefix(pattern)
            ? room.AsSpan().StartsWith(pattern[..^1], StringComparison.Ordinal)
            : room.AsSpan().SequenceEqual(pattern);
}
