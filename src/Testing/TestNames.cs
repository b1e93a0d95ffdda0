namespace WsRooms.Testing;

/// <summary>Fresh names per test, so tests sharing one cluster never see each other's rooms, connections or events.</summary>
public static class TestNames
{
    /// <summary>A room name no other test uses: <paramref name="prefix"/>, a dash and ten hex digits.</summary>
    public static string Room(string prefix = "room") => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>A connection id no other test uses.</summary>
    public static string Connection() => Guid.NewGuid().ToString();

    /// <summary>An event name no other test uses.</summary>
    public static string Event() => $"ev-{Guid.NewGuid():N}";
}
