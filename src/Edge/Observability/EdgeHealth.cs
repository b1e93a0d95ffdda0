using Microsoft.Extensions.Diagnostics.HealthChecks;
using WsRooms.Edge.Delivery;

namespace WsRooms.Edge.Observability;

/// <summary>
/// Whether the Orleans client has a gateway: told by the client itself (<see cref="IClusterConnectionStatusObserver"/>).
/// Starts connected: the client does not finish starting without one.
/// </summary>
internal sealed class ClusterConnectionHealth : IClusterConnectionStatusObserver
{
    private volatile bool _connected = true;

    public bool IsConnected => _connected;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered) =>
        _connected = currentNumberOfGateways > 0;

    public void NotifyClusterConnectionLost() => _connected = false;
}

/// <summary>
/// Ready: the edge's delivery stream is subscribed, it is not draining, and the Orleans client has a gateway —
/// exactly when the WebSocket endpoint accepts connections.
/// </summary>
internal sealed class EdgeReadyHealthCheck(EdgeReadiness readiness, ClusterConnectionHealth cluster) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !readiness.IsSubscribed ? HealthCheckResult.Unhealthy("not yet subscribed to the delivery stream")
            : !readiness.IsReady ? HealthCheckResult.Unhealthy("draining")
            : !cluster.IsConnected ? HealthCheckResult.Unhealthy("no connection to the cluster")
            : HealthCheckResult.Healthy());
}
