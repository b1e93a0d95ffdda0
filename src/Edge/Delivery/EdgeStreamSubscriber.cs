using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Sessions;

namespace WsRooms.Edge.Delivery;

/// <summary>
/// The edge end of the transport: this edge host's subscription to its stream, and the writing of each delivery to
/// its sockets (encoding each frame once, whatever the number of recipients). When it subscribes and unsubscribes is
/// <see cref="Hosting.EdgeLifecycle"/>'s to decide.
/// </summary>
internal sealed partial class EdgeStreamSubscriber(
    IClusterClient client,
    EdgeIdentity identity,
    ConnectionRegistry registry,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<EdgeStreamSubscriber> logger,
    EdgeMetrics metrics)
    : IAsyncObserver<EdgeBatch>
{
    private readonly WsRoomsEdgeOptions _options = options.Value;
    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private readonly BatchSequenceFilter _repeats = new();

    private IAsyncStream<EdgeBatch> Stream =>
        client.GetStreamProvider(EdgeStreams.ProviderName).GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, identity.Id));

    /// <summary>Subscribes this edge to its stream, or resumes the subscription the cluster still holds for it.</summary>
    public async Task SubscribeAsync(CancellationToken cancellationToken)
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

    /// <summary>
    /// Ends every subscription to this edge's stream, sparing the silos calls to a subscriber that is about to vanish
    /// (and, with a configured <c>WsRooms:EdgeId</c>, the next process under the same id a stale neighbour on its
    /// stream). A failure is only logged: the silos drop a subscription that is not renewed.
    /// </summary>
    public async Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
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
            // Encoded once per version; every recipient's queue holds the same bytes.
            registry.FanOut(message, delivery.ExceptConnection, delivery.Position);
            return;
        }

        if (delivery.Change == MembershipChange.Superseded)
        {
            // The session resumed on another socket: the older one here goes (4001), and its ending leaves the
            // session alone; a resume socket of it waiting here takes over.
            registry.Supersede(delivery.Connection);
            return;
        }

        registry.TryGet(delivery.Connection, out var current);
        registry.TryGetResuming(delivery.Connection, out var resuming);
        if (ResumeRouting.Target(delivery.Change, current, resuming) is not { } connection)
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
            case MembershipChange.Moved:
                // A resumed session's room now routes here, to its resuming socket: the room's next frames must reach
                // it, and no longer an older socket of it here. The client was told nothing of the move.
                registry.Joined(connection, message.Room);
                if (current is not null && current != connection)
                {
                    registry.Left(current, message.Room);
                }

                return;
        }

        if (delivery.Position > 0 && message.Dst.Length == 0)
        {
            // A room's frame to one connection: a join_ack, or a history or replay frame, each at its position.
            connection.TrySendLogged(message, delivery.Position);
            return;
        }

        connection.TrySend(message, delivery.Position);
    }

    public Task OnErrorAsync(Exception ex)
    {
        Log.StreamError(logger, ex);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    private static partial class Log
    {
        // 1300 to 1303 and 1305 to 1307: EdgeLifecycle, ConnectionDrain and RootRoomAttachment.

        [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Delivery stream error")]
        public static partial void StreamError(ILogger logger, Exception exception);

        // 1308, DeliveryPathReady - removed
        // 1309, DeliveryPathSlow - removed
        // 1310, DeliveryProbeFailed - removed

        [LoggerMessage(EventId = 1311, Level = LogLevel.Warning, Message = "Could not unsubscribe from the delivery stream at shutdown; the silos drop the subscription when it is not renewed")]
        public static partial void UnsubscribeFailed(ILogger logger, Exception exception);
    }
}
