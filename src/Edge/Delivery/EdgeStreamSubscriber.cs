using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Observability;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Delivery;

/// <summary>
/// The edge end of the transport: subscribes to this edge host's stream, writes each delivery to its sockets
/// (encoding each frame once, whatever the number of recipients), resubscribes when the cluster connection comes
/// back, and on shutdown drains every connection with 1001.
/// </summary>
internal sealed partial class EdgeStreamSubscriber(
    IClusterClient client,
    EdgeIdentity identity,
    ConnectionRegistry registry,
    EdgeReadiness readiness,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<EdgeStreamSubscriber> logger,
    EdgeMetrics metrics)
    : IHostedLifecycleService, IAsyncObserver<EdgeBatch>
{
    private readonly WsRoomsEdgeOptions _options = options.Value;

    // Resubscribing after the cluster connection comes back: first retry, and the longest wait between two.
    private static readonly TimeSpan ResubscribeFirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ResubscribeMaxDelay = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private readonly BatchSequenceFilter _repeats = new();

    // ----- start and stop -----

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Subscribes after every hosted service has started, so the Orleans client is connected whatever order the
    /// application registered it in.
    /// </summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        await SubscribeAsync(cancellationToken).ConfigureAwait(false);
        if (!_options.RootPresence)
        {
            await client.GetRoom(EventNames.RootRoom).AttachEdgeAsync(identity.Id).ConfigureAwait(false);
        }

        readiness.MarkSubscribed();
        Log.Ready(logger, identity.Id);
    }

    /// <summary>Drains before anything else stops, while the Orleans client can still tell the rooms.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.MarkStopping();
        var connections = registry.Connections.ToArray();
        Log.Draining(logger, connections.Length);
        foreach (var connection in connections)
        {
            connection.BeginClose(CloseCodes.ShuttingDown, "server shutting down");
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.Ended)).WaitAsync(_options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Log.DrainTimedOut(logger, connections.Count(c => !c.Ended.IsCompleted));
        }

        if (!_options.RootPresence)
        {
            try
            {
                await client.GetRoom(EventNames.RootRoom).DetachEdgeAsync(identity.Id).WaitAsync(_options.GrainCallTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.DetachFailed(logger, e);
            }
        }

        // Every connection has ended: nothing more is coming that this edge could deliver. Unsubscribing now spares
        // the silos calls to a subscriber that is about to vanish (and, with a configured WsRooms:EdgeId, the
        // next process under the same id a stale neighbour on its stream).
        try
        {
            var handles = await Stream.GetAllSubscriptionHandles().ConfigureAwait(false);
            await Task.WhenAll(handles.Select(h => h.UnsubscribeAsync())).WaitAsync(_options.GrainCallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.UnsubscribeFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // ----- the stream -----

    private IAsyncStream<EdgeBatch> Stream =>
        client.GetStreamProvider(EdgeStreams.ProviderName).GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, identity.Id));

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        await _subscribeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = Stream;
            var handles = await stream.GetAllSubscriptionHandles().ConfigureAwait(false);
            if (handles.Count == 0)
            {
                await stream.SubscribeAsync(this).ConfigureAwait(false);
            }
            else
            {
                // Resume rather than add: two subscriptions would deliver every frame twice.
                foreach (var handle in handles)
                {
                    await handle.ResumeAsync(this).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _subscribeGate.Release();
        }
    }

    public Task OnNextAsync(EdgeBatch item, StreamSequenceToken? token = null)
    {
        if (!_repeats.TryAccept(item))
        {
            metrics.Dropped(DropReasons.DuplicateBatch);
            return Task.CompletedTask;
        }

        if (item.PublishedAtUtcTicks != 0)
        {
            metrics.DeliveryLatency((DateTime.UtcNow.Ticks - item.PublishedAtUtcTicks) / (double)TimeSpan.TicksPerMillisecond);
        }

        foreach (var delivery in item.Deliveries)
        {
            Deliver(delivery);
        }

        return Task.CompletedTask;
    }

    private void Deliver(EdgeDelivery delivery)
    {
        var message = delivery.Message;
        if (delivery.Connection is null)
        {
            // Encoded once; every recipient's queue holds the same bytes.
            registry.FanOut(message.Room, delivery.ExceptConnection, message.ToBytes());
            return;
        }

        if (!registry.TryGet(delivery.Connection, out var connection))
        {
            metrics.Dropped(DropReasons.UnknownConnection);
            return; // it has gone; at most once
        }

        // The membership change comes first, so that the room's next broadcast (later on this stream) reaches it.
        switch (delivery.Change)
        {
            case MembershipChange.Joined:
                registry.Joined(connection, message.Room);
                break;
            case MembershipChange.Left:
                registry.Left(connection, message.Room);
                break;
        }

        connection.TrySend(message.ToBytes());
    }

    public Task OnErrorAsync(Exception ex)
    {
        Log.StreamError(logger, ex);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    // ----- cluster connection -----

    /// <summary>
    /// After the edge loses every gateway and gets one back, its subscription may be gone with the silo that held
    /// it (FIELD-NOTES: subscriptions are lost silently). Subscribe again; Resume keeps it to one. Retried until it
    /// works: right after a silo dies the first attempts may still be routed to it, and an edge left without its
    /// subscription, or detached from root, would hear nothing until its next periodic renewal.
    /// </summary>
    public void OnConnectionRecovered()
    {
        if (!readiness.IsSubscribed)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var delay = ResubscribeFirstDelay;
            while (!readiness.IsStopping)
            {
                try
                {
                    await SubscribeAsync(CancellationToken.None).ConfigureAwait(false);
                    if (!_options.RootPresence)
                    {
                        await client.GetRoom(EventNames.RootRoom).AttachEdgeAsync(identity.Id).ConfigureAwait(false);
                    }

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

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Draining: closing {Count} connections with 1001")]
        public static partial void Draining(ILogger logger, int count);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Drain timed out with {Count} connections still closing")]
        public static partial void DrainTimedOut(ILogger logger, int count);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Could not detach this edge from root")]
        public static partial void DetachFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Delivery stream error")]
        public static partial void StreamError(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1305, Level = LogLevel.Information, Message = "Cluster connection recovered; edge {EdgeId} resubscribed")]
        public static partial void Resubscribed(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "Could not resubscribe after the cluster connection recovered; trying again in {Delay}")]
        public static partial void ResubscribeFailed(ILogger logger, Exception exception, TimeSpan delay);

        [LoggerMessage(EventId = 1307, Level = LogLevel.Warning, Message = "Lost the connection to the cluster")]
        public static partial void ClusterLost(ILogger logger);

        // 1308, DeliveryPathReady - removed
        // 1309, DeliveryPathSlow - removed
        // 1310, DeliveryProbeFailed - removed

        [LoggerMessage(EventId = 1311, Level = LogLevel.Warning, Message = "Could not unsubscribe from the delivery stream at shutdown; the silos drop the subscription when it is not renewed")]
        public static partial void UnsubscribeFailed(ILogger logger, Exception exception);
    }
}

/// <summary>
/// Tells the subscriber when the cluster connection comes back. A separate class resolved lazily: the Orleans client
/// builds its status observers while it is being constructed, and the subscriber itself needs that client.
/// </summary>
internal sealed class ClusterConnectionObserver(IServiceProvider services) : IClusterConnectionStatusObserver
{
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (connectionRecovered)
        {
            services.GetRequiredService<EdgeStreamSubscriber>().OnConnectionRecovered();
        }
    }

    public void NotifyClusterConnectionLost() => services.GetRequiredService<EdgeStreamSubscriber>().OnConnectionLost();
}

