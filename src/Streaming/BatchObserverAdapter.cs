using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace WsRooms.Streaming;

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
