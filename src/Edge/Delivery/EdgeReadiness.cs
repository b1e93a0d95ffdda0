namespace WsRooms.Edge.Delivery;

/// <summary>
/// Whether this edge host may take connections: only once its delivery stream is subscribed (else a client could
/// join a room and never hear from it), and no longer once it drains for shutdown.
/// </summary>
public sealed class EdgeReadiness
{
    private volatile bool _subscribed;
    private volatile bool _stopping;

    /// <summary>True while new WebSocket connections are accepted.</summary>
    public bool IsReady => _subscribed && !_stopping;

    /// <summary>True once the edge host has begun to drain for shutdown.</summary>
    public bool IsStopping => _stopping;

    /// <summary>True once the stream subscription is in place.</summary>
    public bool IsSubscribed => _subscribed;

    internal void MarkSubscribed() => _subscribed = true;

    internal void MarkStopping() => _stopping = true;
}
