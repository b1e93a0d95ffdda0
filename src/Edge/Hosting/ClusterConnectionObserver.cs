using Microsoft.Extensions.DependencyInjection;

namespace WsRooms.Edge.Hosting;

/// <summary>
/// Tells <see cref="EdgeLifecycle"/> when the cluster connection is lost and when it comes back. A separate class
/// that resolves the lifecycle lazily: the Orleans client builds its status observers while it is being
/// constructed, and the lifecycle's steps themselves need that client.
/// </summary>
internal sealed class ClusterConnectionObserver(IServiceProvider services) : IClusterConnectionStatusObserver
{
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (connectionRecovered)
        {
            services.GetRequiredService<EdgeLifecycle>().OnConnectionRecovered();
        }
    }

    public void NotifyClusterConnectionLost() => services.GetRequiredService<EdgeLifecycle>().OnConnectionLost();
}
