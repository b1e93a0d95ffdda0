namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>Tests share one cluster, so every test uses rooms of its own.</summary>
public static class Names
{
    public static string Room(string prefix = "room") => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";
}
