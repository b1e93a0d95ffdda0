namespace WsRooms.Edge.Transport;

/// <summary>The path <c>MapWsRooms</c> mapped, for <see cref="DirectUpgradeMiddleware"/>; null until then, or for a route pattern.</summary>
internal sealed class WsRoomsEndpointPath
{
    private string? _value;

    public string? Value => Volatile.Read(ref _value);

    /// <summary>Remembers <paramref name="pattern"/> when it is a plain path (no route parameters).</summary>
    public void Set(string pattern)
    {
        if (pattern.StartsWith('/') && !pattern.Contains('{', StringComparison.Ordinal) && !pattern.Contains('*', StringComparison.Ordinal))
        {
            Volatile.Write(ref _value, pattern);
        }
    }
}
