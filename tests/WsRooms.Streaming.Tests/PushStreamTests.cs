using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;
using WsRooms.Testing;

namespace WsRooms.Streaming.Tests;

/// <summary>
/// The push stream provider between a silo (producer) and the test client (subscriber): order, the no-subscriber
/// case, resume and unsubscribe, subscribers that are slow or gone, and what it refuses.
/// </summary>
[Collection(PushStreamClusterCollection.Name)]
public sealed class PushStreamTests(PushStreamClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private IStreamProvider SiloStreams => fixture.SiloStreams;

    private IStreamProvider ClientStreams => fixture.ClientStreams;

    private static StreamId NewStreamId() => StreamId.Create("test.push", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task EventsPublishedOnASiloArriveAtTheClientSubscriberInOrder()
    {
        var id = NewStreamId();
        var received = new StreamRecorder();
        var handle = await ClientStreams.GetStream<int>(id).SubscribeAsync(received.OnNextAsync);
        try
        {
            var producer = SiloStreams.GetStream<int>(id);
            for (var i = 0; i < 500; i++)
            {
                await producer.OnNextAsync(i);
            }

            // Each OnNextAsync completes once the subscriber has taken the event: nothing is left in flight.
            Assert.Equal(Enumerable.Range(0, 500), received.Items);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task AnEventWithoutSubscriberIsDroppedAndALaterSubscriberIsFound()
    {
        var id = NewStreamId();
        var producer = SiloStreams.GetStream<int>(id);
        await producer.OnNextAsync(-1); // nobody listens: dropped, no error

        var received = new StreamRecorder();
        var handle = await ClientStreams.GetStream<int>(id).SubscribeAsync(received.OnNextAsync);
        try
        {
            // The producer trusts "no subscriber" for EmptyCacheDuration (250 ms), then asks again.
            var next = 0;
            await Poll.UntilAsync(async () =>
            {
                await producer.OnNextAsync(next++);
                return received.Items.Count > 0;
            }, Timeout, "the new subscriber to receive");
            Assert.DoesNotContain(-1, received.Items);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task ResumeSwapsTheObserverAndUnsubscribeEndsDelivery()
    {
        var id = NewStreamId();
        var stream = ClientStreams.GetStream<int>(id);
        var first = new StreamRecorder();
        var second = new StreamRecorder();
        var handle = await stream.SubscribeAsync(first.OnNextAsync);

        var handles = await stream.GetAllSubscriptionHandles();
        Assert.Equal(handle.HandleId, Assert.Single(handles).HandleId);

        var resumed = await handles[0].ResumeAsync(second.OnNextAsync);
        Assert.Equal(handle.HandleId, resumed.HandleId);
        var producer = SiloStreams.GetStream<int>(id);
        await producer.OnNextAsync(1);
        Assert.Equal([1], second.Items);
        Assert.Empty(first.Items);

        await resumed.UnsubscribeAsync();
        Assert.Empty(await stream.GetAllSubscriptionHandles());
        Assert.Empty(await fixture.Grains.GetGrain<IPushStreamRendezvousGrain>(PushStreamProvider.RendezvousKey(PushStreamClusterFixture.ProviderName, id)).GetConsumersAsync());

        // A new subscriber gets the marker; the unsubscribed observer got nothing after 1. The producer may still hold
        // the old reference: that publish fails once, and the next one looks the subscribers up again.
        var third = new StreamRecorder();
        var thirdHandle = await stream.SubscribeAsync(third.OnNextAsync);
        try
        {
            // (Poll looks again after an exception.)
            await Poll.UntilAsync(async () =>
            {
                await producer.OnNextAsync(2);
                return third.Items.Count > 0;
            }, Timeout, "the new subscriber to receive");
            Assert.Equal([1], second.Items);
        }
        finally
        {
            await thirdHandle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task ASubscriberThatDoesNotTakeAnEventFailsThePublishAfterTheDeliveryTimeout()
    {
        var id = NewStreamId();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new StreamRecorder();
        var handle = await ClientStreams.GetStream<int>(id).SubscribeAsync(async (item, token) =>
        {
            await gate.Task;
            await received.OnNextAsync(item, token);
        });
        try
        {
            var producer = SiloStreams.GetStream<int>(id);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAsync<TimeoutException>(() => producer.OnNextAsync(1));
            Assert.InRange(watch.Elapsed, PushStreamClusterFixture.DeliveryTimeout * 0.9, PushStreamClusterFixture.DeliveryTimeout * 4);

            // The event did reach the subscriber, late: a producer that retries must expect repeats.
            gate.SetResult();
            await producer.OnNextAsync(2);
            await Poll.UntilAsync(() => Task.FromResult(received.Items.Count == 2), Timeout, "both events");
            Assert.Equal([1, 2], received.Items.Order());
        }
        finally
        {
            gate.TrySetResult();
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task ASubscriberThatIsGoneDoesNotHoldUpTheOthersAndIsDropped()
    {
        // What a process that died leaves behind: a registration whose observer answers nothing (here: an observer
        // reference whose object was deleted; calls to it time out, as to a vanished client).
        var id = NewStreamId();
        var rendezvous = fixture.Grains.GetGrain<IPushStreamRendezvousGrain>(PushStreamProvider.RendezvousKey(PushStreamClusterFixture.ProviderName, id));
        var gone = fixture.Cluster.Client.CreateObjectReference<IPushStreamConsumer>(new PushStreamConsumer<int>(new StreamRecorder().Observer));
        fixture.Cluster.Client.DeleteObjectReference<IPushStreamConsumer>(gone);
        var goneId = Guid.NewGuid();
        await rendezvous.RegisterAsync(goneId, gone);

        var received = new StreamRecorder();
        var handle = await ClientStreams.GetStream<int>(id).SubscribeAsync(received.OnNextAsync);
        try
        {
            var producer = SiloStreams.GetStream<int>(id);
            await producer.OnNextAsync(1); // succeeds: the live subscriber took it
            Assert.Equal([1], received.Items);

            await Poll.UntilAsync(async () => (await rendezvous.GetConsumersAsync()).All(s => s.Id != goneId), Timeout, "the gone subscription to be dropped");
            Assert.Equal(handle.HandleId, Assert.Single(await rendezvous.GetConsumersAsync()).Id);
            await producer.OnNextAsync(2);
            Assert.Equal([1, 2], received.Items);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task AProducerDoesNotKeepTheSubscriberListsOfStreamsItNoLongerUses()
    {
        // Every edge host process has a stream of its own, so over many deploys a silo publishes to many streams.
        // A producer whose "no subscriber" answers go stale at once: every list it holds is stale by the next fetch.
        var provider = new PushStreamProvider(
            PushStreamClusterFixture.ProviderName,
            fixture.SiloServices,
            Microsoft.Extensions.Options.Options.Create(new PushStreamOptions { EmptyCacheDuration = TimeSpan.Zero }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PushStreamProvider>.Instance);
        var peak = 0;
        foreach (var id in Enumerable.Range(0, 1100).Select(_ => NewStreamId()))
        {
            await provider.GetStream<int>(id).OnNextAsync(0);
            peak = Math.Max(peak, provider.CachedStreamCount);
        }

        // Past 1,024 lists the stale ones are swept out as new ones come: 1,100 streams never make 1,100 entries.
        Assert.InRange(peak, 1, 1025);
        Assert.True(provider.CachedStreamCount < 1025);
        await provider.DisposeAsync();
    }

    [Fact]
    public async Task SequenceTokensAndFiltersAreRefused()
    {
        var id = NewStreamId();
        var stream = ClientStreams.GetStream<int>(id);
        var producer = SiloStreams.GetStream<int>(id);
        var token = new EventSequenceTokenV2(1);
        Assert.False(stream.IsRewindable);
        Assert.False(ClientStreams.IsRewindable);

        await AssertRefusedAsync("IAsyncStream.SubscribeAsync", "sequence token", () => stream.SubscribeAsync(new StreamRecorder().Observer, token));
        await AssertRefusedAsync("IAsyncStream.SubscribeAsync", "filter", () => stream.SubscribeAsync(new StreamRecorder().Observer, null, "filter"));
        await AssertRefusedAsync("IAsyncStream.SubscribeAsync", "sequence token", () => stream.SubscribeAsync(new BatchRecorder(), token));
        await AssertRefusedAsync("IAsyncStream.OnNextAsync", "sequence token", () => producer.OnNextAsync(1, token));
        await AssertRefusedAsync("IAsyncStream.OnNextBatchAsync", "sequence token", () => producer.OnNextBatchAsync([1], token));

        var handle = await stream.SubscribeAsync(new StreamRecorder().Observer);
        try
        {
            await AssertRefusedAsync("StreamSubscriptionHandle.ResumeAsync", "sequence token", () => handle.ResumeAsync(new StreamRecorder().Observer, token));
            await AssertRefusedAsync("StreamSubscriptionHandle.ResumeAsync", "sequence token", () => handle.ResumeAsync(new BatchRecorder(), token));
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }

        // Each message names the member and says what to do instead.
        static async Task AssertRefusedAsync(string member, string what, Func<Task> call)
        {
            var refusal = await Assert.ThrowsAsync<NotSupportedException>(call);
            Assert.StartsWith(member + ":", refusal.Message, StringComparison.Ordinal);
            Assert.Contains(what, refusal.Message, StringComparison.Ordinal);
            Assert.Contains("pass", refusal.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OptionsThatWouldExpireLiveSubscriptionsAreRejected()
    {
        var validator = new PushStreamOptionsValidator();
        Assert.True(validator.Validate(null, new PushStreamOptions()).Succeeded);

        var result = validator.Validate(null, new PushStreamOptions { SubscriptionRefreshPeriod = TimeSpan.FromSeconds(40), SubscriptionLifetime = TimeSpan.FromSeconds(60) });
        Assert.True(result.Failed);
        Assert.Contains("SubscriptionLifetime must be at least twice SubscriptionRefreshPeriod", result.FailureMessage);
        Assert.True(validator.Validate(null, new PushStreamOptions { SubscriptionRefreshPeriod = TimeSpan.Zero }).Failed);
    }
}
