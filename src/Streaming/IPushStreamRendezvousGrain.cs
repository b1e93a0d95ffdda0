using Orleans.Concurrency;

namespace WsRooms.Streaming;

/// <summary>
/// Where producers of one push stream find its subscribers. Keyed by <see cref="PushStreamProvider.RendezvousKey"/>
/// (provider name + stream id). Subscribers register on subscribe and again every
/// <see cref="PushStreamOptions.SubscriptionRefreshPeriod"/>; a registration not renewed within
/// <see cref="PushStreamOptions.SubscriptionLifetime"/> is dropped.
/// </summary>
[Alias("wsrooms.streaming.IPushStreamRendezvousGrain")]
public interface IPushStreamRendezvousGrain : IGrainWithStringKey
{
    /// <summary>Adds or renews a subscription. Idempotent.</summary>
    [Alias("Register")]
    Task RegisterAsync(Guid subscriptionId, IPushStreamConsumer consumer);

    /// <summary>Removes a subscription. Idempotent.</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(Guid subscriptionId);

    /// <summary>The live subscriptions, for a producer to call.</summary>
    [AlwaysInterleave]
    [Alias("GetConsumers")]
    Task<PushSubscription[]> GetConsumersAsync();
}

/// <summary>One registered subscription: its id and the subscriber's observer reference.</summary>
[GenerateSerializer, Immutable, Alias("wsrooms.streaming.PushSubscription")]
public sealed record PushSubscription([property: Id(0)] Guid Id, [property: Id(1)] IPushStreamConsumer Consumer);
