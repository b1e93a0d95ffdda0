using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace WsRooms.Streaming;

/// <summary>
/// An Orleans stream provider without queues: <c>OnNextAsync</c> calls every subscriber of the stream directly
/// (a grain observer in the subscriber's process) and completes when they have taken the event. Latency is one
/// call; nothing polls. Registered under the same name on silos (producers) and clients (subscribers).
/// </summary>
/// <remarks>
/// What it is not: durable or rewindable, and it has no server-side filters (see <see cref="PushStream{T}"/>). The
/// provider never retries: an <c>OnNextAsync</c> that fails or times out may or may not have reached the subscriber,
/// so a producer that retries can deliver an event twice, and numbers its events where a repeat matters. An event published while a stream has no subscriber is dropped, as on any Orleans stream without one.
/// Delivery order is the order of a producer's awaited <c>OnNextAsync</c> calls. Subscriptions are per process:
/// <c>GetAllSubscriptionHandles</c> returns the ones this process made, and each is renewed every
/// <see cref="PushStreamOptions.SubscriptionRefreshPeriod"/>. Observers are Orleans' own way of pushing to clients;
/// this provider puts them behind the streams API, so producers and subscribers use streams as with any provider.
/// </remarks>
public sealed partial class PushStreamProvider : IStreamProvider, IAsyncDisposable
{
    // Past this many cached subscriber lists, expired ones are swept out when a list is fetched.
    private const int MaxCachedStreams = 1024;

    private readonly IServiceProvider _services;
    private readonly PushStreamOptions _options;
    private readonly ILogger<PushStreamProvider> _logger;
    private readonly ConcurrentDictionary<StreamId, ConsumerList> _producerCache = new();
    private readonly ConcurrentDictionary<Guid, LocalSubscription> _subscriptions = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _refreshLock = new();
    private Task? _refreshLoop;
    private IGrainFactory? _grains;

    /// <summary>Creates the provider named <paramref name="name"/>; <see cref="PushStreams"/> registers it.</summary>
    public PushStreamProvider(string name, IServiceProvider services, IOptions<PushStreamOptions> options, ILogger<PushStreamProvider> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _services = services;
        _options = options.Value;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsRewindable => false;

    /// <summary>Streams whose subscriber list this process holds as a producer, for tests and diagnostics.</summary>
    internal int CachedStreamCount => _producerCache.Count;

    // Resolved on first use: the Orleans client registers its grain factory after its stream providers.
    private IGrainFactory Grains => _grains ??= _services.GetRequiredService<IGrainFactory>();

    /// <inheritdoc />
    public IAsyncStream<T> GetStream<T>(StreamId streamId) => new PushStream<T>(this, streamId);

    /// <summary>The key of the rendezvous grain of <paramref name="streamId"/> on provider <paramref name="providerName"/>.</summary>
    public static string RendezvousKey(string providerName, StreamId streamId) => $"{providerName}/{streamId}";

    private IPushStreamRendezvousGrain Rendezvous(StreamId streamId) =>
        Grains.GetGrain<IPushStreamRendezvousGrain>(RendezvousKey(Name, streamId));

    // ----- producing -----

    internal async Task PublishAsync(StreamId streamId, object item)
    {
        var subscriptions = await GetConsumersAsync(streamId).ConfigureAwait(false);
        if (subscriptions.Length == 0)
        {
            Log.NoSubscriber(_logger, Name, streamId);
            return;
        }

        if (subscriptions.Length == 1)
        {
            try
            {
                await subscriptions[0].Consumer.DeliverAsync(item).WaitAsync(_options.DeliveryTimeout).ConfigureAwait(false);
                return;
            }
            catch
            {
                // Looked up again on the next publish: the subscriber may have moved to a new reference.
                _producerCache.TryRemove(streamId, out _);
                throw;
            }
        }

        await PublishToSeveralAsync(streamId, item, subscriptions).ConfigureAwait(false);
    }

    /// <summary>
    /// With several subscribers, one that fails does not fail the others: the publish succeeds if any took the
    /// event, and each one that failed is dropped from the rendezvous. That is what clears a registration left by a
    /// process that died (an edge host restarted under the same id registers anew beside it) without waiting out its
    /// lifetime and making every publish wait for it; a subscriber that was only slow is back at its next renewal.
    /// </summary>
    private async Task PublishToSeveralAsync(StreamId streamId, object item, PushSubscription[] subscriptions)
    {
        var deliveries = new Task[subscriptions.Length];
        for (var i = 0; i < subscriptions.Length; i++)
        {
            deliveries[i] = subscriptions[i].Consumer.DeliverAsync(item).WaitAsync(_options.DeliveryTimeout);
        }

        try
        {
            await Task.WhenAll(deliveries).ConfigureAwait(false);
            return;
        }
        catch
        {
            // Looked at one by one below.
        }

        _producerCache.TryRemove(streamId, out _);
        if (deliveries.All(d => !d.IsCompletedSuccessfully))
        {
            await deliveries[0].ConfigureAwait(false); // every one failed: the producer hears why
        }

        for (var i = 0; i < deliveries.Length; i++)
        {
            if (!deliveries[i].IsCompletedSuccessfully)
            {
                Log.SubscriberDropped(_logger, deliveries[i].Exception?.InnerException, Name, streamId, subscriptions[i].Id);
                _ = DropSubscriptionAsync(streamId, subscriptions[i].Id);
            }
        }
    }

    private async Task DropSubscriptionAsync(StreamId streamId, Guid subscriptionId)
    {
        try
        {
            await Rendezvous(streamId).UnregisterAsync(subscriptionId).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.RenewFailed(_logger, e, Name, streamId);
        }
    }

    internal async Task SignalAsync(StreamId streamId, Func<IPushStreamConsumer, Task> signal)
    {
        var subscriptions = await GetConsumersAsync(streamId).ConfigureAwait(false);
        await Task.WhenAll(subscriptions.Select(s => signal(s.Consumer))).WaitAsync(_options.DeliveryTimeout).ConfigureAwait(false);
    }

    private ValueTask<PushSubscription[]> GetConsumersAsync(StreamId streamId)
    {
        var now = Environment.TickCount64;
        if (_producerCache.TryGetValue(streamId, out var cached) && now < cached.ValidUntil)
        {
            return ValueTask.FromResult(cached.Consumers);
        }

        return new ValueTask<PushSubscription[]>(FetchConsumersAsync(streamId));
    }

    private async Task<PushSubscription[]> FetchConsumersAsync(StreamId streamId)
    {
        var consumers = await Rendezvous(streamId).GetConsumersAsync().ConfigureAwait(false);
        var now = Environment.TickCount64;
        var ttl = consumers.Length == 0 ? _options.EmptyCacheDuration : _options.ProducerCacheDuration;
        _producerCache[streamId] = new ConsumerList(consumers, now + (long)ttl.TotalMilliseconds);
        if (_producerCache.Count > MaxCachedStreams)
        {
            // Streams come and go (an edge host's stream is new with every process): keep only what is still fresh.
            foreach (var entry in _producerCache)
            {
                if (entry.Value.ValidUntil < now)
                {
                    _producerCache.TryRemove(entry);
                }
            }
        }

        return consumers;
    }

    // ----- subscribing -----

    internal async Task<StreamSubscriptionHandle<T>> SubscribeAsync<T>(StreamId streamId, IAsyncObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var consumer = new PushStreamConsumer<T>(observer);
        var reference = Grains.CreateObjectReference<IPushStreamConsumer>(consumer);
        var subscription = new LocalSubscription(Guid.NewGuid(), streamId, typeof(T), consumer, reference);
        try
        {
            await Rendezvous(streamId).RegisterAsync(subscription.Id, reference).ConfigureAwait(false);
        }
        catch
        {
            Grains.DeleteObjectReference<IPushStreamConsumer>(reference);
            throw;
        }

        _subscriptions[subscription.Id] = subscription;
        EnsureRefreshLoop();
        return new PushStreamSubscriptionHandle<T>(this, subscription);
    }

    internal async Task<StreamSubscriptionHandle<T>> ResumeAsync<T>(LocalSubscription subscription, IAsyncObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (!_subscriptions.ContainsKey(subscription.Id))
        {
            throw new InvalidOperationException($"Subscription {subscription.Id} to {subscription.StreamId} was unsubscribed; subscribe again.");
        }

        ((PushStreamConsumer<T>)subscription.Consumer).Observer = observer;

        // Registered again: after a lost cluster connection the rendezvous may have forgotten it.
        await Rendezvous(subscription.StreamId).RegisterAsync(subscription.Id, subscription.Reference).ConfigureAwait(false);
        return new PushStreamSubscriptionHandle<T>(this, subscription);
    }

    internal async Task UnsubscribeAsync(LocalSubscription subscription)
    {
        if (!_subscriptions.TryRemove(subscription.Id, out _))
        {
            return;
        }

        try
        {
            await Rendezvous(subscription.StreamId).UnregisterAsync(subscription.Id).ConfigureAwait(false);
        }
        finally
        {
            Grains.DeleteObjectReference<IPushStreamConsumer>(subscription.Reference);
        }
    }

    internal IList<StreamSubscriptionHandle<T>> GetLocalHandles<T>(StreamId streamId) =>
        [.. _subscriptions.Values
            .Where(s => s.StreamId == streamId && s.ItemType == typeof(T))
            .Select(s => (StreamSubscriptionHandle<T>)new PushStreamSubscriptionHandle<T>(this, s))];

    private void EnsureRefreshLoop()
    {
        lock (_refreshLock)
        {
            if (_refreshLoop is null && !_disposed.IsCancellationRequested)
            {
                _refreshLoop = Task.Run(RefreshLoopAsync);
            }
        }
    }

    /// <summary>
    /// Renews every local subscription now and then: a rendezvous grain whose silo died with memory storage comes
    /// back empty, and this is what fills it again. Renewal also keeps the registrations from expiring.
    /// </summary>
    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.SubscriptionRefreshPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token).ConfigureAwait(false))
            {
                foreach (var subscription in _subscriptions.Values)
                {
                    try
                    {
                        await Rendezvous(subscription.StreamId).RegisterAsync(subscription.Id, subscription.Reference).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!_disposed.IsCancellationRequested)
                    {
                        Log.RenewFailed(_logger, e, Name, subscription.StreamId);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _disposed.Dispose();
    }

    private sealed record ConsumerList(PushSubscription[] Consumers, long ValidUntil);

    private static partial class Log
    {
        [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Push stream {Provider}/{StreamId}: no subscriber; event dropped")]
        public static partial void NoSubscriber(ILogger logger, string provider, StreamId streamId);

        [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Push stream {Provider}/{StreamId}: subscription {SubscriptionId} did not take an event that others took; dropped until it renews")]
        public static partial void SubscriberDropped(ILogger logger, Exception? exception, string provider, StreamId streamId, Guid subscriptionId);

        [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Push stream {Provider}/{StreamId}: could not renew or drop a subscription; trying again later")]
        public static partial void RenewFailed(ILogger logger, Exception exception, string provider, StreamId streamId);
    }
}
