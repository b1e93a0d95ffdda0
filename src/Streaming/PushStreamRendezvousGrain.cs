using Microsoft.Extensions.Options;

namespace WsRooms.Streaming;

/// <summary>
/// The subscriptions of one push stream, kept in <see cref="PushStreams.StorageName"/> (Orleans' own PubSubStore),
/// so they survive the death of this grain's silo wherever that storage is durable. Producers only read; they call
/// the subscribers themselves.
/// </summary>
internal sealed class PushStreamRendezvousGrain(
    [PersistentState("subscriptions", PushStreams.StorageName)] IPersistentState<PushStreamRendezvousState> state,
    IOptions<PushStreamOptions> options)
    : Grain, IPushStreamRendezvousGrain
{
    private readonly long _lifetimeMs = (long)options.Value.SubscriptionLifetime.TotalMilliseconds;

    // When each subscription was last registered (Environment.TickCount64). Not stored: after a reactivation every
    // stored subscription gets a full lifetime to renew itself.
    private readonly Dictionary<Guid, long> _lastSeen = [];
    private PushSubscription[]? _snapshot;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        foreach (var id in state.State.Subscriptions.Keys)
        {
            _lastSeen[id] = now;
        }

        return Task.CompletedTask;
    }

    public async Task RegisterAsync(Guid subscriptionId, IPushStreamConsumer consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        var now = Environment.TickCount64;
        _lastSeen[subscriptionId] = now;
        var changed = PruneExpired(now);
        if (!state.State.Subscriptions.TryGetValue(subscriptionId, out var known) || !known.Equals(consumer))
        {
            state.State.Subscriptions[subscriptionId] = consumer;
            changed = true;
        }

        if (changed)
        {
            _snapshot = null;
            await state.WriteStateAsync();
        }
    }

    public async Task UnregisterAsync(Guid subscriptionId)
    {
        _lastSeen.Remove(subscriptionId);
        if (state.State.Subscriptions.Remove(subscriptionId) | PruneExpired(Environment.TickCount64))
        {
            _snapshot = null;
            await state.WriteStateAsync();
        }
    }

    // Interleaves with the writes above: it only reads, and computes its answer without awaiting.
    public Task<PushSubscription[]> GetConsumersAsync()
    {
        var now = Environment.TickCount64;
        if (_snapshot is null || state.State.Subscriptions.Keys.Any(id => IsExpired(id, now)))
        {
            _snapshot = [.. state.State.Subscriptions.Where(s => !IsExpired(s.Key, now)).Select(s => new PushSubscription(s.Key, s.Value))];
        }

        return Task.FromResult(_snapshot);
    }

    private bool IsExpired(Guid id, long now) => !_lastSeen.TryGetValue(id, out var seen) || now - seen > _lifetimeMs;

    private bool PruneExpired(long now)
    {
        var expired = state.State.Subscriptions.Keys.Where(id => IsExpired(id, now)).ToList();
        foreach (var id in expired)
        {
            state.State.Subscriptions.Remove(id);
            _lastSeen.Remove(id);
        }

        return expired.Count > 0;
    }
}

/// <summary>The stored subscriptions of one push stream.</summary>
[GenerateSerializer, Alias("wsrooms.streaming.PushStreamRendezvousState")]
public sealed class PushStreamRendezvousState
{
    /// <summary>Subscription id → the subscriber's observer reference.</summary>
    [Id(0)]
    public Dictionary<Guid, IPushStreamConsumer> Subscriptions { get; set; } = [];
}
