using Orleans.Runtime;
using Orleans.Streams;

namespace WsRooms.Streaming;

/// <summary>The handle of a subscription this process made.</summary>
internal sealed class PushStreamSubscriptionHandle<T>(PushStreamProvider provider, LocalSubscription subscription) : StreamSubscriptionHandle<T>
{
    public override StreamId StreamId => subscription.StreamId;

    public override string ProviderName => provider.Name;

    public override Guid HandleId => subscription.Id;

    public override Task UnsubscribeAsync() => provider.UnsubscribeAsync(subscription);

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null)
    {
        PushStream<T>.RejectToken(token, "StreamSubscriptionHandle.ResumeAsync");
        return provider.ResumeAsync(subscription, observer);
    }

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncBatchObserver<T> observer, StreamSequenceToken? token = null) =>
        ResumeAsync(new BatchObserverAdapter<T>(observer), token);

    public override bool Equals(StreamSubscriptionHandle<T>? other) =>
        other is not null && other.HandleId == HandleId && other.StreamId.Equals(StreamId) && other.ProviderName == ProviderName;

    public override bool Equals(object? obj) => obj is StreamSubscriptionHandle<T> other && Equals(other);

    public override int GetHashCode() => HandleId.GetHashCode();
}
