using WsRooms.Grains.Observability;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Grains.Delivery;
using WsRooms.Protocol;
using WsRooms.Streaming;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// The edge outbox against real push streams. The silo's own outbox is used where its defaults fit; outboxes with
/// tiny settings are built directly on a silo's stream provider, each with meters of its own that the test reads.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EdgeOutboxTests(ClusterFixture fixture)
{

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
        using var meters = new OutboxMeters();
        await using var outbox = CreateOutbox(meters, o => o.MaxBatchBytes = 256 * 1024);

        // 40 deliveries of 100 KB: 4 MB in all, which one batch would carry were it not for the byte limit.
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
        Assert.Equal(1, meters.Dropped("too_large"));
    }

    [Fact]
    public async Task AFullEdgeDropsItsOwnPostsWhileAnotherEdgeReceivesEverything()
    {
        await using var slow = await fixture.NewEdgeAsync();
        await using var fast = await fixture.NewEdgeAsync();
        using var meters = new OutboxMeters();
        await using var outbox = CreateOutbox(meters, o =>
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
        Assert.True(meters.Dropped("queue_full") >= refused);

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
        using var meters = new OutboxMeters();
        await using var outbox = CreateOutbox(meters, o => o.IdleQueueTimeout = TimeSpan.FromMilliseconds(100));

        Assert.True(outbox.Post(edge.Id, Delivery("idle", 1)));
        await edge.WaitForAsync(d => d.Message.PayloadText == "idle-1");
        Assert.Equal(1, meters.Queues());
        await Poll.UntilAsync(() => Task.FromResult(meters.Queues() == 0), FakeEdge.DefaultTimeout, "the idle queue to be released");

        Assert.True(outbox.Post(edge.Id, Delivery("idle", 2)));
        Assert.True(outbox.Post(edge.Id, Delivery("idle", 3)));
        await edge.WaitForAsync(d => d.Message.PayloadText == "idle-3");
        Assert.Equal(["idle-1", "idle-2", "idle-3"], edge.Received.Select(d => d.Message.PayloadText));
    }

    [Fact]
    public async Task StoppingFlushesWhatIsQueuedAndRefusesLaterPosts()
    {
        await using var edge = await fixture.NewEdgeAsync();
        using var meters = new OutboxMeters();
        var outbox = CreateOutbox(meters, o => o.MaxBatchSize = 1);

        for (var i = 0; i < 50; i++)
        {
            Assert.True(outbox.Post(edge.Id, Delivery("stop", i)));
        }

        await outbox.StopAsync(CancellationToken.None);
        Assert.False(outbox.Post(edge.Id, Delivery("stop", 50)));
        await outbox.DisposeAsync();

        // Every delivery queued before the stop was handed to the stream before StopAsync returned.
        Assert.Equal(50, meters.Batches());
        await edge.WaitForAsync(d => d.Message.PayloadText == "stop-49");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"stop-{i}"), edge.Received.Select(d => d.Message.PayloadText));
    }

    [Fact]
    public async Task ABatchAnEdgeDoesNotTakeIsRetriedABoundedNumberOfTimesThenDroppedWithoutHoldingUpOtherEdges()
    {
        // An edge whose subscriber never returns: every publish to it waits out the delivery timeout and fails.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuckEdge = $"edge-{Guid.NewGuid():N}";
        var stuck = await fixture.Cluster.Client.GetStreamProvider(EdgeStreams.ProviderName)
            .GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, stuckEdge))
            .SubscribeAsync((_, _) => release.Task);
        await using var other = await fixture.NewEdgeAsync();

        // A producer of its own with a short delivery timeout, so that the retries take seconds, not a minute.
        var deliveryTimeout = TimeSpan.FromSeconds(1.5);
        await using var streams = new PushStreamProvider(
            EdgeStreams.ProviderName,
            fixture.SiloServices,
            Options.Create(new PushStreamOptions { DeliveryTimeout = deliveryTimeout }),
            NullLogger<PushStreamProvider>.Instance);
        using var meters = new OutboxMeters();
        await using var outbox = CreateOutbox(
            meters,
            o =>
            {
                o.PublishRetries = 2;
                o.PublishRetryDelay = TimeSpan.FromMilliseconds(10);
            },
            streams);
        try
        {
            Assert.True(outbox.Post(stuckEdge, Delivery("stuck", 0)));
            Assert.True(outbox.Post(other.Id, Delivery("other", 0)));

            // The other edge's batch arrives while the stuck edge's is still being tried (three attempts of 1.5 s).
            await other.WaitForAsync(d => d.Message.PayloadText == "other-0");
            Assert.Equal(0, meters.Dropped());
            await Poll.UntilAsync(() => Task.FromResult(meters.Dropped("publish_failed") == 1), FakeEdge.DefaultTimeout, "the batch nobody took to be dropped");
            Assert.Equal(2, meters.Retries());

            // The stuck edge's publisher survives the drop: the next post is tried (and dropped) the same way.
            Assert.True(outbox.Post(stuckEdge, Delivery("stuck", 1)));
            await Poll.UntilAsync(() => Task.FromResult(meters.Dropped("publish_failed") == 2), FakeEdge.DefaultTimeout, "the second batch nobody took to be dropped");
            Assert.Equal(4, meters.Retries());
            Assert.Equal(1, meters.Batches());
        }
        finally
        {
            release.TrySetResult();
            await stuck.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task AnInvalidPostIsRefusedAndCountedWithoutThrowing()
    {
        using var meters = new OutboxMeters();
        await using var outbox = CreateOutbox(meters, _ => { });

        Assert.False(outbox.Post("", Delivery("x", 0)));
        Assert.False(outbox.Post($"edge-{Guid.NewGuid():N}", null!));
        Assert.Equal(2, meters.Dropped("invalid"));
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

    private EdgeOutbox CreateOutbox(OutboxMeters meters, Action<EdgeOutboxOptions> configure, IStreamProvider? streams = null)
    {
        var services = fixture.SiloServices;
        var options = new EdgeOutboxOptions();
        configure(options);
        return new EdgeOutbox(
            streams ?? services.GetRequiredKeyedService<IStreamProvider>(EdgeStreams.ProviderName),
            Options.Create(options),
            services.GetRequiredService<ILogger<EdgeOutbox>>(),
            meters.Factory);
    }

    private static EdgeDelivery Delivery(string prefix, int i) =>
        EdgeDelivery.ToRoom(Message.FromText("outbox", "test", "", "", $"{prefix}-{i}"));

    /// <summary>
    /// What one outbox reports on its meter. Each test's outbox gets a meter factory of its own, so the silos'
    /// outboxes, which publish under the same meter name, are not counted.
    /// </summary>
    private sealed class OutboxMeters : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly MetricCollector<long> _dropped;
        private readonly MetricCollector<long> _batches;
        private readonly MetricCollector<long> _retries;
        private readonly MetricCollector<int> _queues;

        public OutboxMeters()
        {
            Factory = _services.GetRequiredService<IMeterFactory>();
            _dropped = new MetricCollector<long>(Factory, SiloMeters.OutboxMeterName, "wsrooms.outbox.dropped");
            _batches = new MetricCollector<long>(Factory, SiloMeters.OutboxMeterName, "wsrooms.outbox.batches");
            _retries = new MetricCollector<long>(Factory, SiloMeters.OutboxMeterName, "wsrooms.outbox.publish_retries");
            _queues = new MetricCollector<int>(Factory, SiloMeters.OutboxMeterName, "wsrooms.outbox.queues");
        }

        public IMeterFactory Factory { get; }

        /// <summary>Deliveries dropped, for <paramref name="reason"/> or for any.</summary>
        public long Dropped(string? reason = null) =>
            _dropped.GetMeasurementSnapshot()
                .Where(m => reason is null || Equals(m.Tags["reason"], reason))
                .Sum(m => m.Value);

        public long Batches() => _batches.GetMeasurementSnapshot().Sum(m => m.Value);

        public long Retries() => _retries.GetMeasurementSnapshot().Sum(m => m.Value);

        /// <summary>Edge hosts with a live queue, observed now.</summary>
        public int Queues()
        {
            _queues.RecordObservableInstruments();
            return _queues.LastMeasurement?.Value ?? 0;
        }

        public void Dispose()
        {
            _dropped.Dispose();
            _batches.Dispose();
            _retries.Dispose();
            _queues.Dispose();
            _services.Dispose();
        }
    }
}
