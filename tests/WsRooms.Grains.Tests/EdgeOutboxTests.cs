using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// The edge outbox against real Orleans memory streams. The silo's own outbox is used where its defaults fit;
/// outboxes with tiny settings are built directly on a silo's stream provider.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EdgeOutboxTests(ClusterFixture fixture)
{
    /// <summary>Events one memory stream queue holds before refusing more (FIELD-NOTES; Orleans keeps it internal).</summary>
    private const int MemoryStreamQueueLimit = 16_384;

    [Fact]
    public async Task PostingFromOutsideAnyGrainReachesTheSubscribedEdge()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var outbox = fixture.SiloServices.GetRequiredService<IEdgeOutbox>();

        // The test thread is not a grain: this is the silo singleton publishing on its own.
        Assert.True(outbox.Post(edge.Id, EdgeDelivery.ToConnection("c1", Message.FromText("r", "hello", "c1", "", "one"))));
        Assert.True(outbox.Post(edge.Id, EdgeDelivery.ToRoom(Message.FromText("r", "hello", "", "", "two"), except: "c1")));

        var first = await edge.WaitForAsync(d => d.Message.PayloadText == "one");
        var second = await edge.WaitForAsync(d => d.Message.PayloadText == "two");
        Assert.Equal("c1", first.Connection);
        Assert.Null(second.Connection);
        Assert.Equal("c1", second.ExceptConnection);
        Assert.True(edge.IndexOf(first) < edge.IndexOf(second));
    }

    [Fact]
    public async Task ABurstIsPublishedInOrderAndInFewerBatchesThanDeliveries()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var outbox = fixture.SiloServices.GetRequiredService<IEdgeOutbox>();

        const int count = 2_000;
        for (var i = 0; i < count; i++)
        {
            Assert.True(outbox.Post(edge.Id, EdgeDelivery.ToRoom(Message.FromText("r", "seq", "", "", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }

        await edge.WaitForAsync(d => d.Message.PayloadText == (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var payloads = edge.Received.Select(d => int.Parse(d.Message.PayloadText, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, count), payloads);
        Assert.True(edge.BatchCount < count, $"{count} deliveries took {edge.BatchCount} stream events");
    }

    [Fact]
    public async Task BigDeliveriesAreSplitIntoBatchesUnderTheByteLimitAndAnOversizedOneIsDropped()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var outbox = CreateOutbox(o => o.MaxBatchBytes = 256 * 1024);

        // 40 deliveries of 100 KB: 4 MB in all, far over the memory stream's 1 MiB per event if sent as one batch.
        var payload = new byte[100_000];
        for (var i = 0; i < 40; i++)
        {
            Assert.True(outbox.Post(edge.Id, EdgeDelivery.ToRoom(new Message("outbox", "big", "", "", payload) with { Src = $"big-{i}" })));
        }

        Assert.True(outbox.Post(edge.Id, EdgeDelivery.ToRoom(new Message("outbox", "huge", "", "", new byte[300_000]))));
        Assert.True(outbox.Post(edge.Id, Delivery("after", 0)));

        await edge.WaitForAsync(d => d.Message.PayloadText == "after-0");
        var received = edge.Received;
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"big-{i}"), received.Where(d => d.Message.Event == "big").Select(d => d.Message.Src));
        Assert.DoesNotContain(received, d => d.Message.Event == "huge");
        Assert.True(edge.BatchCount >= 40 / 2, $"40 deliveries of 100 KB came in {edge.BatchCount} batches; at most 2 fit in 256 KiB");
        Assert.Equal(1, outbox.DroppedDeliveries);
    }

    [Fact]
    public async Task AFullEdgeDropsItsOwnPostsWhileAnotherEdgeReceivesEverything()
    {
        await using var slow = await fixture.NewEdgeAsync();
        await using var fast = await fixture.NewEdgeAsync();
        await using var outbox = CreateOutbox(o =>
        {
            o.QueueCapacity = 4;
            o.MaxBatchSize = 1;
        });

        // Far faster than one-stream-event-per-delivery can drain: the slow edge's 4-slot queue overflows.
        var accepted = new List<int>();
        var refused = 0;
        for (var i = 0; i < 1_000; i++)
        {
            if (outbox.Post(slow.Id, Delivery("slow", i)))
            {
                accepted.Add(i);
            }
            else
            {
                refused++;
            }
        }

        Assert.True(refused > 0, "the slow edge's queue never filled");
        Assert.True(outbox.DroppedDeliveries >= refused);

        // The other edge is untouched by the slow one's overflow: everything posted to it is taken and arrives.
        for (var i = 0; i < 4; i++)
        {
            Assert.True(outbox.Post(fast.Id, Delivery("fast", i)));
        }

        await fast.WaitForAsync(d => d.Message.PayloadText == "fast-3");
        Assert.Equal(["fast-0", "fast-1", "fast-2", "fast-3"], fast.Received.Select(d => d.Message.PayloadText));

        // What the slow edge accepted arrives, in order; nothing it refused does.
        var last = accepted[^1];
        await slow.WaitForAsync(d => d.Message.PayloadText == $"slow-{last}");
        Assert.Equal(accepted.Select(i => $"slow-{i}"), slow.Received.Select(d => d.Message.PayloadText));
    }

    [Fact]
    public async Task AnIdleEdgeQueueIsReleasedAndRecreatedByTheNextPost()
    {
        await using var edge = await fixture.NewEdgeAsync();
        await using var outbox = CreateOutbox(o => o.IdleQueueTimeout = TimeSpan.FromMilliseconds(100));

        Assert.True(outbox.Post(edge.Id, Delivery("idle", 1)));
        await edge.WaitForAsync(d => d.Message.PayloadText == "idle-1");
        await Poll.UntilAsync(() => Task.FromResult(outbox.QueueCount == 0), FakeEdge.DefaultTimeout, "the idle queue to be released");

        Assert.True(outbox.Post(edge.Id, Delivery("idle", 2)));
        Assert.True(outbox.Post(edge.Id, Delivery("idle", 3)));
        await edge.WaitForAsync(d => d.Message.PayloadText == "idle-3");
        Assert.Equal(["idle-1", "idle-2", "idle-3"], edge.Received.Select(d => d.Message.PayloadText));
    }

    [Fact]
    public async Task StoppingFlushesWhatIsQueuedAndRefusesLaterPosts()
    {
        await using var edge = await fixture.NewEdgeAsync();
        var outbox = CreateOutbox(o => o.MaxBatchSize = 1);

        for (var i = 0; i < 50; i++)
        {
            Assert.True(outbox.Post(edge.Id, Delivery("stop", i)));
        }

        await outbox.StopAsync(CancellationToken.None);
        Assert.False(outbox.Post(edge.Id, Delivery("stop", 50)));
        await outbox.DisposeAsync();

        // Every delivery queued before the stop was handed to the stream before StopAsync returned.
        Assert.Equal(50, outbox.PublishedDeliveries);
        await edge.WaitForAsync(d => d.Message.PayloadText == "stop-49");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"stop-{i}"), edge.Received.Select(d => d.Message.PayloadText));
    }

    [Fact]
    public async Task ABatchTheStreamKeepsRefusingIsRetriedABoundedNumberOfTimesThenDroppedWithoutHoldingUpOtherEdges()
    {
        // Two edges on the stalled provider whose streams land on different memory stream queues.
        var mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions(), ClusterFixture.StalledStreamProvider);
        var fullEdge = $"edge-{Guid.NewGuid():N}";
        var fullQueue = mapper.GetQueueForStream(StreamId.Create(EdgeStreams.Namespace, fullEdge));
        string otherEdge;
        do
        {
            otherEdge = $"edge-{Guid.NewGuid():N}";
        }
        while (mapper.GetQueueForStream(StreamId.Create(EdgeStreams.Namespace, otherEdge)).Equals(fullQueue));

        // Fill the full edge's queue to the memory stream's limit; nothing reads it.
        var provider = fixture.SiloServices.GetRequiredKeyedService<IStreamProvider>(ClusterFixture.StalledStreamProvider);
        var filler = provider.GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, fullEdge));
        var empty = new EdgeBatch([]);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, MemoryStreamQueueLimit),
            new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (_, _) => await filler.OnNextAsync(empty));
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => filler.OnNextAsync(empty));
        Assert.Contains("maximum", refusal.Message, StringComparison.Ordinal);

        await using var outbox = CreateOutbox(
            o =>
            {
                o.PublishRetries = 2;
                o.PublishRetryDelay = TimeSpan.FromMilliseconds(10);
            },
            ClusterFixture.StalledStreamProvider);

        Assert.True(outbox.Post(fullEdge, Delivery("full", 0)));
        Assert.True(outbox.Post(otherEdge, Delivery("other", 0)));

        // The other edge's batch is published while the full edge's is still being retried, then dropped.
        await Poll.UntilAsync(() => Task.FromResult(outbox.PublishedDeliveries == 1), FakeEdge.DefaultTimeout, "the other edge's delivery to be published");
        await Poll.UntilAsync(() => Task.FromResult(outbox.DroppedDeliveries == 1), FakeEdge.DefaultTimeout, "the refused batch to be dropped");
        Assert.Equal(2, outbox.PublishRetries);

        // The full edge's publisher survives the drop: the next post is tried (and refused) the same way.
        Assert.True(outbox.Post(fullEdge, Delivery("full", 1)));
        await Poll.UntilAsync(() => Task.FromResult(outbox.DroppedDeliveries == 2), FakeEdge.DefaultTimeout, "the second refused batch to be dropped");
        Assert.Equal(4, outbox.PublishRetries);
        Assert.Equal(1, outbox.PublishedDeliveries);
    }

    [Fact]
    public async Task PostNeverThrowsEvenWhenTheStreamCannotBeHad()
    {
        // A stream id already used with another element type: the provider refuses to hand it out as EdgeBatch.
        var edgeId = $"edge-{Guid.NewGuid():N}";
        var provider = fixture.SiloServices.GetRequiredKeyedService<IStreamProvider>(ClusterFixture.StalledStreamProvider);
        _ = provider.GetStream<string>(StreamId.Create(EdgeStreams.Namespace, edgeId));
        await using var outbox = CreateOutbox(_ => { }, ClusterFixture.StalledStreamProvider);

        Assert.False(outbox.Post(edgeId, Delivery("x", 0)));
        Assert.False(outbox.Post("", Delivery("x", 1)));
        Assert.Equal(2, outbox.DroppedDeliveries);
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        var validator = new EdgeOutboxOptionsValidator();
        Assert.True(validator.Validate(null, new EdgeOutboxOptions()).Succeeded);

        var result = validator.Validate(null, new EdgeOutboxOptions { QueueCapacity = 0, MaxBatchSize = 0, IdleQueueTimeout = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains(nameof(EdgeOutboxOptions.QueueCapacity), result.FailureMessage);
        Assert.Contains(nameof(EdgeOutboxOptions.MaxBatchSize), result.FailureMessage);
        Assert.Contains(nameof(EdgeOutboxOptions.IdleQueueTimeout), result.FailureMessage);
    }

    private EdgeOutbox CreateOutbox(Action<EdgeOutboxOptions> configure, string streamProvider = EdgeStreams.ProviderName)
    {
        var services = fixture.SiloServices;
        var options = new EdgeOutboxOptions();
        configure(options);
        return new EdgeOutbox(
            services.GetRequiredKeyedService<IStreamProvider>(streamProvider),
            Options.Create(options),
            services.GetRequiredService<ILogger<EdgeOutbox>>());
    }

    private static EdgeDelivery Delivery(string prefix, int i) =>
        EdgeDelivery.ToRoom(Message.FromText("outbox", "test", "", "", $"{prefix}-{i}"));
}
