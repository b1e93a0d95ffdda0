using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Delivery;
using WsRooms.Edge.Lease;

namespace WsRooms.Edge.Hosting;

/// <summary>
/// The edge host's start and stop, step by step. It starts once every hosted service has started, so the Orleans
/// client is connected whatever order the application registered it in, and it stops before any has stopped, while
/// the client can still tell the rooms. When the cluster connection comes back after it was lost, it subscribes
/// again.
/// </summary>
internal sealed partial class EdgeLifecycle(
    EdgeLease lease,
    EdgeStreamSubscriber subscriber,
    RootRoomAttachment root,
    ConnectionDrain drain,
    EdgeReadiness readiness,
    EdgeIdentity identity,
    ILogger<EdgeLifecycle> logger) : IHostedLifecycleService
{
    // Resubscribing after the cluster connection comes back: first retry, and the longest wait between two.
    private static readonly TimeSpan ResubscribeFirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ResubscribeMaxDelay = TimeSpan.FromSeconds(5);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Lease, subscribe, attach to root, ready: each step needs the one before it.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        // No connection may exist before the cluster knows whose lease covers it.
        await lease.AcquireAsync(cancellationToken).ConfigureAwait(false);

        // A client that joins a room must hear from it: the stream first, then root's broadcasts.
        await subscriber.SubscribeAsync(cancellationToken).ConfigureAwait(false);
        await root.AttachAsync().ConfigureAwait(false);

        readiness.MarkSubscribed();
        Log.Ready(logger, identity.Id);
    }

    /// <summary>Drain, detach from root, unsubscribe, release the lease: the start in reverse.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // New upgrades get 503 from here on; every connection gets 1001 and leaves its rooms.
        readiness.MarkStopping();
        await drain.DrainAsync(cancellationToken).ConfigureAwait(false);

        // Every connection has ended: nothing more is coming that this edge could deliver.
        await root.DetachAsync(cancellationToken).ConfigureAwait(false);
        await subscriber.UnsubscribeAsync(cancellationToken).ConfigureAwait(false);

        await lease.ReleaseAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After the edge loses every gateway and gets one back, its subscription may be gone with the silo that held
    /// it, without any error to say so. Subscribe again (resuming keeps it to one) and attach to root again. Retried
    /// until it works: right after a silo dies the first attempts may still be routed to it, and an edge left without
    /// its subscription, or detached from root, would hear nothing until its next lease renewal.
    /// </summary>
    public void OnConnectionRecovered()
    {
        if (!readiness.IsSubscribed)
        {
            return; // not started yet: StartedAsync subscribes
        }

        _ = Task.Run(async () =>
        {
            var delay = ResubscribeFirstDelay;
            while (!readiness.IsStopping)
            {
                try
                {
                    await subscriber.SubscribeAsync(CancellationToken.None).ConfigureAwait(false);
                    await root.AttachAsync().ConfigureAwait(false);
                    Log.Resubscribed(logger, identity.Id);
                    return;
                }
                catch (Exception e)
                {
                    Log.ResubscribeFailed(logger, e, delay);
                }

                await Task.Delay(delay).ConfigureAwait(false);
                delay = delay * 2 < ResubscribeMaxDelay ? delay * 2 : ResubscribeMaxDelay;
            }
        });
    }

    public void OnConnectionLost()
    {
        // Every normal shutdown closes the client's gateway connections too: that is no news worth a warning.
        if (!readiness.IsStopping)
        {
            Log.ClusterLost(logger);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Edge {EdgeId} subscribed to its delivery stream; accepting connections")]
        public static partial void Ready(ILogger logger, string edgeId);

        // 1301, 1302: ConnectionDrain; 1303: RootRoomAttachment; 1304: EdgeStreamSubscriber.

        [LoggerMessage(EventId = 1305, Level = LogLevel.Information, Message = "Cluster connection recovered; edge {EdgeId} resubscribed")]
        public static partial void Resubscribed(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "Could not resubscribe after the cluster connection recovered; trying again in {Delay}")]
        public static partial void ResubscribeFailed(ILogger logger, Exception exception, TimeSpan delay);

        [LoggerMessage(EventId = 1307, Level = LogLevel.Warning, Message = "Lost the connection to the cluster")]
        public static partial void ClusterLost(ILogger logger);
    }
}
