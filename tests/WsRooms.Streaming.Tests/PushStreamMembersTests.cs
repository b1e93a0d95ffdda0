using Orleans.Runtime;
using Orleans.Streams;

namespace WsRooms.Streaming.Tests;

/// <summary>
/// The rest of what <see cref="IAsyncStream{T}"/> offers and push streams support: batches, batch observers,
/// completion and errors, handles and stream identity.
/// </summary>
[Collection(PushStreamClusterCollection.Name)]
public sealed class PushStreamMembersTests(PushStreamClusterFixture fixture)
{
    private static StreamId NewStreamId() => StreamId.Create("test.push", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ABatchIsPublishedAsThatManyEventsInOrder()
    {
        var id = NewStreamId();
        var received = new StreamRecorder();
        var handle = await fixture.ClientStreams.GetStream<int>(id).SubscribeAsync(received.Observer);
        try
        {
            await fixture.SiloStreams.GetStream<int>(id).OnNextBatchAsync(Enumerable.Range(0, 100));

            // Each event was awaited in turn: all of them have been taken when the batch call returns.
            Assert.Equal(Enumerable.Range(0, 100), received.Items);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task ABatchObserverGetsEachEventAsABatchOfOneAndCanBeResumedWithAnother()
    {
        var id = NewStreamId();
        var stream = fixture.ClientStreams.GetStream<int>(id);
        var first = new BatchRecorder();
        var handle = await stream.SubscribeAsync(first);
        try
        {
            var producer = fixture.SiloStreams.GetStream<int>(id);
            await producer.OnNextAsync(1);
            await producer.OnNextAsync(2);

            Assert.Equal([1, 2], first.Batches.Select(b => Assert.Single(b).Item));
            var tokens = first.Batches.Select(b => b[0].Token).ToArray();
            Assert.True(tokens[0].CompareTo(tokens[1]) < 0, "the tokens number the events in arrival order");

            var second = new BatchRecorder();
            handle = await handle.ResumeAsync(second);
            await producer.OnNextAsync(3);
            Assert.Equal([3], second.Batches.Select(b => Assert.Single(b).Item));
            Assert.Equal(2, first.Batches.Count);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task CompletionAndErrorsReachEverySubscriber()
    {
        var id = NewStreamId();
        var one = new StreamRecorder();
        var two = new StreamRecorder();
        var handles = new[]
        {
            await fixture.ClientStreams.GetStream<int>(id).SubscribeAsync(one.Observer),
            await fixture.ClientStreams.GetStream<int>(id).SubscribeAsync(two.Observer),
        };
        try
        {
            var producer = fixture.SiloStreams.GetStream<int>(id);
            await producer.OnErrorAsync(new InvalidOperationException("the producer failed"));
            await producer.OnCompletedAsync();

            Assert.All(new[] { one, two }, recorder =>
            {
                Assert.Contains("the producer failed", Assert.Single(recorder.Errors).Message, StringComparison.Ordinal);
                Assert.Equal(1, recorder.Completions);
                Assert.Empty(recorder.Items);
            });
        }
        finally
        {
            foreach (var handle in handles)
            {
                await handle.UnsubscribeAsync();
            }
        }
    }

    [Fact]
    public async Task HandlesAreThisProcesssSubscriptionsOfThatItemType()
    {
        var id = NewStreamId();
        var ints = fixture.ClientStreams.GetStream<int>(id);
        var strings = fixture.ClientStreams.GetStream<string>(id);
        var intHandle = await ints.SubscribeAsync(new StreamRecorder().Observer);
        var stringHandle = await strings.SubscribeAsync((_, _) => Task.CompletedTask);
        try
        {
            Assert.Equal(intHandle, Assert.Single(await ints.GetAllSubscriptionHandles()));
            Assert.Equal(stringHandle.HandleId, Assert.Single(await strings.GetAllSubscriptionHandles()).HandleId);
            Assert.Equal(id, intHandle.StreamId);
            Assert.Equal(PushStreamClusterFixture.ProviderName, intHandle.ProviderName);

            // The silo made no subscription of its own: handles are per process.
            Assert.Empty(await fixture.SiloStreams.GetStream<int>(id).GetAllSubscriptionHandles());

            // Unsubscribing twice is harmless; resuming an ended subscription is refused.
            await intHandle.UnsubscribeAsync();
            await intHandle.UnsubscribeAsync();
            Assert.Empty(await ints.GetAllSubscriptionHandles());
            await Assert.ThrowsAsync<InvalidOperationException>(() => intHandle.ResumeAsync(new StreamRecorder().Observer));
        }
        finally
        {
            await stringHandle.UnsubscribeAsync();
        }
    }

    [Fact]
    public void AStreamIsIdentifiedByItsProviderAndId()
    {
        var id = NewStreamId();
        var provider = fixture.ClientStreams;
        var stream = provider.GetStream<int>(id);
        var again = provider.GetStream<int>(id);
        var other = provider.GetStream<int>(NewStreamId());

        Assert.Equal(PushStreamClusterFixture.ProviderName, provider.Name);
        Assert.Equal(PushStreamClusterFixture.ProviderName, stream.ProviderName);
        Assert.Equal(id, stream.StreamId);
        Assert.True(stream.Equals(again));
        Assert.Equal(stream.GetHashCode(), again.GetHashCode());
        Assert.Equal(0, stream.CompareTo(again));
        Assert.False(stream.Equals(other));
        Assert.NotEqual(0, stream.CompareTo(other));
        Assert.Equal(1, stream.CompareTo(null));
        Assert.Equal($"{PushStreamClusterFixture.ProviderName}/{id}", stream.ToString());

        // The same stream seen from the silo is the same stream.
        Assert.True(stream.Equals(fixture.SiloStreams.GetStream<int>(id)));
    }
}
