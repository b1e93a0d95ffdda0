namespace WsRooms.Streaming;

/// <summary>
/// The subscriber end of a push stream: a grain observer (usually living in an Orleans client such as an edge host)
/// that the producer calls directly. One object per subscription.
/// </summary>
/// <remarks>
/// The producer awaits each call, so a producer that awaits its <c>OnNextAsync</c> before the next one delivers in
/// order. The producer stops waiting after <see cref="PushStreamOptions.DeliveryTimeout"/>: a consumer that cannot
/// take an event within it is broken, gone, or reached through a silo that has just died, and the producer must get
/// on with its other work (it retries or drops; it never blocks for Orleans' whole response timeout).
/// </remarks>
[Alias("wsrooms.streaming.IPushStreamConsumer")]
public interface IPushStreamConsumer : IGrainObserver
{
    /// <summary>One event. The item is passed by reference when it is immutable (mark its type [Immutable]).</summary>
    [Alias("Deliver")]
    Task DeliverAsync(object item);

    /// <summary>The producer completed the stream.</summary>
    [Alias("Complete")]
    Task CompleteAsync();

    /// <summary>The producer reported an error on the stream.</summary>
    [Alias("Fail")]
    Task FailAsync(Exception error);
}
