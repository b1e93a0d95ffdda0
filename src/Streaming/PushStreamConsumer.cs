using Orleans.Streams;

namespace WsRooms.Streaming;

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
