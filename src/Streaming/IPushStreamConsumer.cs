namespace WsRooms.Streaming;

/// <summary>
/// The subscriber end of a push stream: a grain observer (usually living in an Orleans client such as an edge host)
/// that the producer calls directly. One object per subscription.
/// </summary>
/// <remarks>
/// The producer awaits each call, so a producer that awaits its <c>OnNextAsync</c> before the next one delivers in
/// order. The timeout is short on purpose: a consumer that cannot take an event within it is broken or gone, and the
/// producer must get on with its other work (it retries or drops; it never blocks forever).
/// </remarks>
[Alias("wsrooms.streaming.IPushStreamConsumer")]
public interface IPushStreamConsumer : IGrainObserver
{
    /// <summary>One event. The item is passed by reference when it is immutable (mark its type [Immutable]).</summary>
    [ResponseTimeout("00:00:10")]
    [Alias("Deliver")]
    Task DeliverAsync(object item);

    /// <summary>The producer completed the stream.</summary>
    [ResponseTimeout("00:00:10")]
    [Alias("Complete")]
    Task CompleteAsync();

    /// <summary>The producer reported an error on the stream.</summary>
    [ResponseTimeout("00:00:10")]
    [Alias("Fail")]
    Task FailAsync(Exception error);
}
