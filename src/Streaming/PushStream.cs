using Orleans.Runtime;
using Orleans.Streams;

namespace WsRooms.Streaming;

/// <summary>
/// One push stream: a light handle, like a grain reference; every operation goes through the provider. Push streams
/// are not rewindable and have no server-side filters: a member given a sequence token or filter data throws
/// <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class PushStream<T>(PushStreamProvider provider, StreamId streamId) : IAsyncStream<T>
{
    public StreamId StreamId { get; } = streamId;

    public string ProviderName => provider.Name;

    public bool IsRewindable => false;

    // ----- producing -----

    public Task OnNextAsync(T item, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        RejectToken(token, "IAsyncStream.OnNextAsync");
        return provider.PublishAsync(StreamId, item);
    }

    public async Task OnNextBatchAsync(IEnumerable<T> batch, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        RejectToken(token, "IAsyncStream.OnNextBatchAsync");

        // One event after the other, each awaited: the same order as that many OnNextAsync calls.
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
        RejectToken(token, "IAsyncStream.SubscribeAsync");
        if (filterData is not null)
        {
            throw new NotSupportedException("IAsyncStream.SubscribeAsync: push streams have no server-side filters; pass no filterData and filter in the observer.");
        }

        return provider.SubscribeAsync(StreamId, observer);
    }

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer) =>
        provider.SubscribeAsync(StreamId, new BatchObserverAdapter<T>(observer));

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token)
    {
        RejectToken(token, "IAsyncStream.SubscribeAsync");
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

    /// <summary>Push streams keep no events to rewind to: a token, which would name a position among them, is refused.</summary>
    internal static void RejectToken(StreamSequenceToken? token, string member)
    {
        if (token is not null)
        {
            throw new NotSupportedException($"{member}: push streams are not rewindable and take no sequence token; pass null (events arrive in the order the producer's awaited calls publish them).");
        }
    }
}
