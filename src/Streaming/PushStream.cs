using Orleans.Runtime;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace WsRooms.Streaming;

/// <summary>One push stream: a light handle, like a grain reference; every operation goes through the provider.</summary>
internal sealed class PushStream<T>(PushStreamProvider provider, StreamId streamId) : IAsyncStream<T>
{
    public StreamId StreamId { get; } = streamId;

    public string ProviderName => provider.Name;

    public bool IsRewindable => false;

    // ----- producing -----

    public Task OnNextAsync(T item, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        RejectToken(token);
        return provider.PublishAsync(StreamId, item);
    }

    public async Task OnNextBatchAsync(IEnumerable<T> batch, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        RejectToken(token);
        foreach (var item in batch)
        {
            await OnNextAsync(item).ConfigureAwait(false);
        }
    }

    public Task OnCompletedAsync() => provider.SignalAsync(StreamId, c => c.CompleteAsync());

    public Task OnErrorAsync(Exception ex) => provider.SignalAsync(StreamId, c => c.FailAsync(ex));

    // ----- subscribing -----

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer) => provider.SubscribeAsync(StreamId, observer);

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token, string? filterData = null)
    {
        RejectToken(token);
        if (filterData is not null)
        {
            throw new NotSupportedException("Push streams have no server-side filters.");
        }

        return provider.SubscribeAsync(StreamId, observer);
    }

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer) =>
        provider.SubscribeAsync(StreamId, new BatchObserverAdapter<T>(observer));

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token)
    {
        RejectToken(token);
        return SubscribeAsync(observer);
    }

    public Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles() => Task.FromResult(provider.GetLocalHandles<T>(StreamId));

    // ----- identity -----

    public bool Equals(IAsyncStream<T>? other) => other is not null && StreamId.Equals(other.StreamId) && ProviderName == other.ProviderName;

    public override bool Equals(object? obj) => obj is IAsyncStream<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(StreamId, ProviderName);

    public int CompareTo(IAsyncStream<T>? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byProvider = string.CompareOrdinal(ProviderName, other.ProviderName);
        return byProvider != 0 ? byProvider : StreamId.CompareTo(other.StreamId);
    }

    public override string ToString() => $"{ProviderName}/{StreamId}";

    internal static void RejectToken(StreamSequenceToken? token)
    {
        if (token is not null)
        {
            throw new NotSupportedException("Push streams are not rewindable: sequence tokens are not supported.");
        }
    }
}

/// <summary>The handle of a subscription this process made.</summary>
internal sealed class PushStreamSubscriptionHandle<T>(PushStreamProvider provider, LocalSubscription subscription) : StreamSubscriptionHandle<T>
{
    public override StreamId StreamId => subscription.StreamId;

    public override string ProviderName => provider.Name;

    public override Guid HandleId => subscription.Id;

    public override Task UnsubscribeAsync() => provider.UnsubscribeAsync(subscription);

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null)
    {
        PushStream<T>.RejectToken(token);
        return provider.ResumeAsync(subscription, observer);
    }

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token = null) =>
        ResumeAsync(new BatchObserverAdapter<T>(observer), token);

    public override bool Equals(StreamSubscriptionHandle<T>? other) =>
        other is not null && other.HandleId == HandleId && other.StreamId.Equals(StreamId) && other.ProviderName == ProviderName;

    public override bool Equals(object? obj) => obj is StreamSubscriptionHandle<T> other && Equals(other);

    public override int GetHashCode() => HandleId.GetHashCode();
}

/// <summary>The object behind a subscriber's observer reference: hands each event to the application's observer.</summary>
internal sealed class PushStreamConsumer<T>(IAsyncObserver<T> observer) : IPushStreamConsumer
{
    // Swapped by ResumeAsync; events then go to the new observer.
    public volatile IAsyncObserver<T> Observer = observer;

    public Task DeliverAsync(object item) => item is T typed
        ? Observer.OnNextAsync(typed)
        : throw new InvalidCastException($"Push stream event of type {item?.GetType().FullName ?? "null"} where {typeof(T).FullName} was subscribed.");

    public Task CompleteAsync() => Observer.OnCompletedAsync();

    public Task FailAsync(Exception error) => Observer.OnErrorAsync(error);
}

/// <summary>
/// Lets a batch observer subscribe: each event arrives as a batch of one, numbered in arrival order (push streams
/// have no sequence of their own, and a batch item must carry a token).
/// </summary>
internal sealed class BatchObserverAdapter<T>(IAsyncBatchObserver<T> observer) : IAsyncObserver<T>
{
    private readonly IAsyncBatchObserver<T> _observer = observer ?? throw new ArgumentNullException(nameof(observer));
    private long _sequence;

    public Task OnNextAsync(T item, StreamSequenceToken? token = null) =>
        _observer.OnNextAsync([new SequentialItem<T>(item, token ?? new EventSequenceTokenV2(Interlocked.Increment(ref _sequence)))]);

    public Task OnCompletedAsync() => _observer.OnCompletedAsync();

    public Task OnErrorAsync(Exception ex) => _observer.OnErrorAsync(ex);
}
