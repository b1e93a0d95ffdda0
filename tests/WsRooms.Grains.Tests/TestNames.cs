namespace WsRooms.Grains.Tests;

/// <summary>Fresh names per test, so tests sharing one cluster never see each other's rooms or connections.</summary>
internal static class TestNames
{
    public static string Room() => $"room-{Guid.NewGuid():N}";

    public static string Connection() => Guid.NewGuid().ToString();

    public static string Event() => $"ev-{Guid.NewGuid():N}";
}
