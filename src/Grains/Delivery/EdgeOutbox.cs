using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace WsRooms.Delivery;

/// <summary>
/// A silo singleton that turns posts into stream events: one bounded queue and one publisher loop per edge host.
/// The loop takes everything queued (up to <see cref="EdgeOutboxOptions.MaxBatchSize"/>) and publishes it as one
/// <see cref="EdgeBatch"/>, so a burst of broadcasts costs a few stream events rather than one each.
/// </summary>
/// <remarks>
/// Isolation is the point of the per-edge split: a slow or dead edge (with push streams, the default, a publish
/// completes when the edge has taken the batch) or a stream that refuses events (the memory stream queue stops at
/// 16,384) only costs that edge its deliveries; posts to other edges go on untouched. Each loop awaits one publish at
/// a time, which is what keeps one silo's deliveries to one edge in posting order, and what lets deliveries pile up
/// into bigger batches while the edge is busy.
/// Publishing happens on the thread pool, outside any grain: neither a push call to an edge nor a persistent
/// stream's enqueue needs a grain context, and no grain's turn waits for an edge.
/// </remarks>
internal sealed partial class EdgeOutbox : IEdgeOutbox, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>The name of the meter carrying the outbox's counters.</summary>
    public const string MeterName = "WsRooms.EdgeOutbox";

    private readonly ConcurrentDictionary<string, EdgeQueue> _queues = new(StringComparer.Ordinal);

    // Numbers every batch (EdgeBatch.Source/Sequence): one edge sees this outbox's batches in increasing order, and
    // can drop a repeat sent by a retry after a publish that timed out but did arrive.
    private readonly Guid _source = Guid.NewGuid();
    private long _sequence;
    private readonly IStreamProvider _streams;
    private readonly EdgeOutboxOptions _options;
    private readonly ILogger<EdgeOutbox> _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _stopLock = new();
    private readonly Meter _meter;
    private readonly Counter<long> _postedCounter;
    private readonly Counter<long> _droppedCounter;
    private readonly Counter<long> _batchCounter;
    private readonly Counter<long> _retryCounter;
    private long _dropped;
    private long _published;
    private long _retries;
    private volatile bool _stopping;
    private Task? _stopTask;

    public EdgeOutbox(
        [FromKeyedServices(EdgeStreams.ProviderName)] IStreamProvider streams,
        IOptions<EdgeOutboxOptions> options,
        ILogger<EdgeOutbox> logger,
        IMeterFactory? meterFactory = null)
    {
        _streams = streams;
        _options = options.Value;
        _logger = logger;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _postedCounter = _meter.CreateCounter<long>("wsrooms.outbox.posted", "{delivery}", "Deliveries queued for an edge host.");
        _droppedCounter = _meter.CreateCounter<long>("wsrooms.outbox.dropped", "{delivery}", "Deliveries dropped: queue full, stream refused, or silo stopping.");
        _batchCounter = _meter.CreateCounter<long>("wsrooms.outbox.batches", "{batch}", "Edge batches published to edge streams.");
        _retryCounter = _meter.CreateCounter<long>("wsrooms.outbox.publish_retries", "{retry}", "Batch publishes tried again after a failure.");
        _meter.CreateObservableGauge("wsrooms.outbox.queues", () => _queues.Count, "{queue}", "Edge hosts with a live queue.");
    }

    /// <summary>Deliveries dropped so far, for tests and diagnostics.</summary>
    internal long DroppedDeliveries => Interlocked.Read(ref _dropped);

    /// <summary>Deliveries handed to the stream so far, for tests and diagnostics.</summary>
    internal long PublishedDeliveries => Interlocked.Read(ref _published);

    /// <summary>Batch publishes tried again after a failure so far, for tests and diagnostics.</summary>
    internal long PublishRetries => Interlocked.Read(ref _retries);

    /// <summary>Edge hosts that currently have a queue (idle ones are released).</summary>
    internal int QueueCount => _queues.Count;

    /// <inheritdoc />
    public bool Post(string edgeId, EdgeDelivery delivery)
    {
        if (string.IsNullOrEmpty(edgeId) || delivery is null)
        {
            CountDropped(1, DropReason.Invalid);
            LogInvalidPost(_logger, edgeId);
            return false;
        }

        while (!_stopping)
        {
            EdgeQueue queue;
            try
            {
                queue = GetOrStartQueue(edgeId);
            }
            catch (Exception ex)
            {
                // The stream provider refused to hand out the stream (misconfiguration); the caller must not fail.
                CountDropped(1, DropReason.NoStream);
                LogNoStream(_logger, ex, edgeId);
                return false;
            }

            if (queue.Writer.TryWrite(delivery))
            {
                _postedCounter.Add(1);
                return true;
            }

            // Released for idleness between the lookup and the write: the next turn finds or makes its successor.
            if (queue.Retired)
            {
                continue;
            }

            if (!_stopping)
            {
                RecordQueueFull(queue);
                return false;
            }
        }

        CountDropped(1, DropReason.Stopping);
        return false;
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        // Stopped first on shutdown (Active is the last stage up), so queued deliveries are flushed while the
        // stream provider and its queues are still running.
        lifecycle.Subscribe(nameof(EdgeOutbox), ServiceLifecycleStage.Active, _ => Task.CompletedTask, StopAsync);

    /// <summary>
    /// Stops taking posts and gives the queued deliveries <see cref="EdgeOutboxOptions.ShutdownFlushTimeout"/>
    /// (or until <paramref name="cancellationToken"/> fires) to be published; what is left after that is dropped.
    /// Safe to call more than once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _meter.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var queues = _queues.Values.ToArray();
        foreach (var queue in queues)
        {
            // Completing the writer lets each loop publish what is queued and then end by itself.
            queue.Writer.TryComplete();
        }

        try
        {
            await Task.WhenAll(queues.Select(q => q.Drain))
                .WaitAsync(_options.ShutdownFlushTimeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogShutdownFlushAbandoned(_logger, queues.Length, _options.ShutdownFlushTimeout);
        }
        finally
        {
            // Ends retry back-offs and idle waits; whatever is still queued is counted as dropped.
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    private EdgeQueue GetOrStartQueue(string edgeId)
    {
        while (true)
        {
            if (_queues.TryGetValue(edgeId, out var queue))
            {
                if (!queue.Retired)
                {
                    return queue;
                }

                // The listed queue is being released: replace it. The successor publishes only after its
                // predecessor has flushed its stragglers, so the edge still sees deliveries in posting order.
                var successor = CreateQueue(edgeId, predecessor: queue);
                if (_queues.TryUpdate(edgeId, successor, queue))
                {
                    return Start(successor);
                }
            }
            else
            {
                var created = CreateQueue(edgeId, predecessor: null);
                if (_queues.TryAdd(edgeId, created))
                {
                    return Start(created);
                }
            }
        }
    }

    private EdgeQueue CreateQueue(string edgeId, EdgeQueue? predecessor) =>
        new(edgeId, _streams.GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, edgeId)), _options, predecessor?.Drain);

    private EdgeQueue Start(EdgeQueue queue)
    {
        // Started on the default scheduler: Post is usually called from a grain, and the loop must not inherit that
        // grain's scheduler. Drain is set before the loop can run, so a successor always sees the real task.
        var loop = new Task<Task>(() => DrainAsync(queue));
        queue.Drain = loop.Unwrap();
        loop.Start(TaskScheduler.Default);
        return queue;
    }

    private async Task DrainAsync(EdgeQueue queue)
    {
        var reader = queue.Reader;
        var buffer = new List<EdgeDelivery>(_options.MaxBatchSize);
        var idleTimer = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        try
        {
            if (queue.TakePredecessor() is { } predecessor)
            {
                await predecessor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            while (true)
            {
                var batchBytes = 0L;
                while (buffer.Count < _options.MaxBatchSize && reader.TryPeek(out var delivery))
                {
                    var size = EstimateSize(delivery);
                    if (size > _options.MaxBatchBytes)
                    {
                        reader.TryRead(out _);
                        CountDropped(1, DropReason.TooLarge);
                        LogDeliveryTooLarge(_logger, queue.EdgeId, delivery.Message.Room, delivery.Message.Event, size, _options.MaxBatchBytes);
                        continue;
                    }

                    if (buffer.Count > 0 && batchBytes + size > _options.MaxBatchBytes)
                    {
                        break; // starts the next batch
                    }

                    reader.TryRead(out _);
                    buffer.Add(delivery);
                    batchBytes += size;
                }

                if (buffer.Count > 0)
                {
                    if (_abort.IsCancellationRequested)
                    {
                        break;
                    }

                    var batch = new EdgeBatch([.. buffer], DateTime.UtcNow.Ticks, _source, Interlocked.Increment(ref _sequence));
                    buffer.Clear();
                    await PublishAsync(queue, batch).ConfigureAwait(false);
                    continue;
                }

                if (queue.Retired || _stopping)
                {
                    // No timer once released or stopping: the loop ends as soon as the completed channel is empty.
                    if (!await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                idleTimer.CancelAfter(_options.IdleQueueTimeout);
                try
                {
                    if (!await reader.WaitToReadAsync(idleTimer.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
                {
                    Retire(queue);
                }

                if (!idleTimer.TryReset())
                {
                    idleTimer.Dispose();
                    idleTimer = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutdown gave up waiting; the leftovers are counted below.
        }
        catch (Exception ex)
        {
            // Not expected: PublishAsync handles stream failures. Leave the queue so the next post starts afresh.
            LogDrainLoopFailed(_logger, ex, queue.EdgeId);
            Retire(queue);
        }
        finally
        {
            idleTimer.Dispose();
            _queues.TryRemove(new KeyValuePair<string, EdgeQueue>(queue.EdgeId, queue));
            var left = buffer.Count;
            while (reader.TryRead(out _))
            {
                left++;
            }

            if (left > 0)
            {
                CountDropped(left, DropReason.Stopping);
                LogDroppedAtShutdown(_logger, queue.EdgeId, left);
            }
        }
    }

    private async Task PublishAsync(EdgeQueue queue, EdgeBatch batch)
    {
        var delay = _options.PublishRetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await queue.Stream.OnNextAsync(batch).ConfigureAwait(false);
                Interlocked.Add(ref _published, batch.Deliveries.Length);
                _batchCounter.Add(1);
                return;
            }
            catch (Exception ex) when (attempt < _options.PublishRetries && !_abort.IsCancellationRequested)
            {
                Interlocked.Increment(ref _retries);
                _retryCounter.Add(1);
                if (ex is InvalidOperationException)
                {
                    // The memory stream queue is full ("Can not enqueue since the count has reached its maximum"):
                    // back-pressure from a consumer that is behind, expected under load.
                    LogPublishBackPressure(_logger, queue.EdgeId, attempt + 1, _options.PublishRetries);
                }
                else
                {
                    LogPublishRetry(_logger, ex, queue.EdgeId, attempt + 1, _options.PublishRetries);
                }
            }
            catch (Exception ex)
            {
                CountDropped(batch.Deliveries.Length, DropReason.PublishFailed);
                LogBatchDropped(_logger, ex, queue.EdgeId, batch.Deliveries.Length, attempt + 1);
                return;
            }

            try
            {
                await Task.Delay(delay, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                CountDropped(batch.Deliveries.Length, DropReason.Stopping);
                LogDroppedAtShutdown(_logger, queue.EdgeId, batch.Deliveries.Length);
                return;
            }

            delay += delay;
        }
    }

    /// <summary>
    /// Roughly what a delivery costs in a serialized batch: its frame, the connection ids and a little framing.
    /// Ids are ASCII in practice, so their length stands for their byte count.
    /// </summary>
    private static long EstimateSize(EdgeDelivery delivery) =>
        delivery.Message.GetFrameLength() + (delivery.Connection?.Length ?? 0) + (delivery.ExceptConnection?.Length ?? 0) + 16;

    private void Retire(EdgeQueue queue)
    {
        // Marked first, so a post whose write fails from here on makes a successor instead of reporting "full";
        // then completed, so the loop publishes any post that slipped in and ends. The loop unlists the queue last.
        queue.Retired = true;
        queue.Writer.TryComplete();
        LogQueueReleased(_logger, queue.EdgeId);
    }

    private void RecordQueueFull(EdgeQueue queue)
    {
        CountDropped(1, DropReason.QueueFull);
        var pending = Interlocked.Increment(ref queue.DroppedSinceLog);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref queue.LastDropLogAt);
        if (now - last >= (long)_options.DropLogInterval.TotalMilliseconds
            && Interlocked.CompareExchange(ref queue.LastDropLogAt, now, last) == last)
        {
            pending = Interlocked.Exchange(ref queue.DroppedSinceLog, 0);
            LogQueueFull(_logger, queue.EdgeId, pending, _options.QueueCapacity);
        }
    }

    private void CountDropped(long count, string reason)
    {
        Interlocked.Add(ref _dropped, count);
        _droppedCounter.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    private static class DropReason
    {
        public const string QueueFull = "queue_full";
        public const string PublishFailed = "publish_failed";
        public const string Stopping = "stopping";
        public const string TooLarge = "too_large";
        public const string NoStream = "no_stream";
        public const string Invalid = "invalid";
    }

    /// <summary>One edge host's queue, its stream and the loop that publishes from one to the other.</summary>
    private sealed class EdgeQueue
    {
        private readonly Channel<EdgeDelivery> _channel;

        private Task? _predecessor;

        public EdgeQueue(string edgeId, IAsyncStream<EdgeBatch> stream, EdgeOutboxOptions options, Task? predecessor)
        {
            EdgeId = edgeId;
            Stream = stream;
            _predecessor = predecessor;
            _channel = Channel.CreateBounded<EdgeDelivery>(new BoundedChannelOptions(options.QueueCapacity)
            {
                // Wait mode makes TryWrite fail when full instead of evicting: the caller drops and counts.
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = false,
                // Never run the loop's continuation inline inside a grain's Post call.
                AllowSynchronousContinuations = false,
            });
            LastDropLogAt = Environment.TickCount64 - (long)options.DropLogInterval.TotalMilliseconds;
        }

        public string EdgeId { get; }

        public IAsyncStream<EdgeBatch> Stream { get; }

        public ChannelWriter<EdgeDelivery> Writer => _channel.Writer;

        public ChannelReader<EdgeDelivery> Reader => _channel.Reader;

        public Task Drain { get; set; } = Task.CompletedTask;

        /// <summary>The loop of the queue this one replaced, handed over once so chains of queues are not kept alive.</summary>
        public Task? TakePredecessor() => Interlocked.Exchange(ref _predecessor, null);

        public volatile bool Retired;

        public long DroppedSinceLog;

        public long LastDropLogAt;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Edge {EdgeId}: queue full ({Capacity}); dropped {Count} deliveries since the last warning")]
    private static partial void LogQueueFull(ILogger logger, string edgeId, long count, int capacity);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Edge {EdgeId}: stream queue full, retrying batch (attempt {Attempt} of {Retries} retries)")]
    private static partial void LogPublishBackPressure(ILogger logger, string edgeId, int attempt, int retries);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Edge {EdgeId}: publishing a batch failed, retrying (attempt {Attempt} of {Retries} retries)")]
    private static partial void LogPublishRetry(ILogger logger, Exception exception, string edgeId, int attempt, int retries);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Edge {EdgeId}: dropped a batch of {Count} deliveries after {Attempts} attempts")]
    private static partial void LogBatchDropped(ILogger logger, Exception exception, string edgeId, int count, int attempts);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Edge {EdgeId}: queue released after being idle")]
    private static partial void LogQueueReleased(ILogger logger, string edgeId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Edge {EdgeId}: publisher loop failed")]
    private static partial void LogDrainLoopFailed(ILogger logger, Exception exception, string edgeId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Edge {EdgeId}: dropped {Count} deliveries at shutdown")]
    private static partial void LogDroppedAtShutdown(ILogger logger, string edgeId, int count);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Shutdown stopped waiting for {Queues} edge queues to flush after {Timeout}")]
    private static partial void LogShutdownFlushAbandoned(ILogger logger, int queues, TimeSpan timeout);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Edge {EdgeId}: dropped a {Room}/{Event} delivery of about {Size} bytes, over the {MaxBatchBytes}-byte batch limit")]
    private static partial void LogDeliveryTooLarge(ILogger logger, string edgeId, string room, string @event, long size, int maxBatchBytes);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Edge {EdgeId}: no stream to publish to; delivery dropped")]
    private static partial void LogNoStream(ILogger logger, Exception exception, string edgeId);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "A delivery without an edge id ({EdgeId}) or without content was dropped")]
    private static partial void LogInvalidPost(ILogger logger, string? edgeId);
}
