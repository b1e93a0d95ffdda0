using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Grains.Observability;

namespace WsRooms.Grains.Delivery;

/// <summary>
/// A silo singleton that turns posts into stream events: one bounded queue and one publisher loop per edge host.
/// The loop takes everything queued (up to <see cref="EdgeOutboxOptions.MaxBatchSize"/>) and publishes it as one
/// <see cref="EdgeBatch"/>, so a burst of broadcasts costs a few stream events rather than one each.
/// </summary>
/// <remarks>
/// Isolation is the point of the per-edge split: a publish completes when the edge has taken the batch, so a slow
/// or dead edge only costs that edge its deliveries; posts to other edges go on untouched. Each loop awaits one
/// publish at a time, which is what keeps one silo's deliveries to one edge in posting order, and what lets
/// deliveries pile up into bigger batches while the edge is busy.
/// Publishing happens on the thread pool, outside any grain: a push call to an edge needs no grain context, and no
/// grain's turn waits for an edge.
/// </remarks>
internal sealed partial class EdgeOutbox : IEdgeOutbox, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
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
        _meter = meterFactory?.Create(SiloMeters.OutboxMeterName) ?? new Meter(SiloMeters.OutboxMeterName);
        _postedCounter = _meter.CreateCounter<long>("wsrooms.outbox.posted", "{delivery}", "Deliveries queued for an edge host.");
        _droppedCounter = _meter.CreateCounter<long>("wsrooms.outbox.dropped", "{delivery}", "Deliveries dropped, by reason: queue full, publish failed, too large, invalid, or silo stopping.");
        _batchCounter = _meter.CreateCounter<long>("wsrooms.outbox.batches", "{batch}", "Edge batches published to edge streams.");
        _retryCounter = _meter.CreateCounter<long>("wsrooms.outbox.publish_retries", "{retry}", "Batch publishes tried again after a failure.");
        _meter.CreateObservableGauge("wsrooms.outbox.queues", () => _queues.Count, "{queue}", "Edge hosts with a live queue.");
    }

    /// <inheritdoc />
    public bool Post(string edgeId, EdgeDelivery delivery)
    {
        if (string.IsNullOrEmpty(edgeId) || delivery is null)
        {
            CountDropped(1, DropReason.Invalid);
            Log.InvalidPost(_logger, edgeId);
            return false;
        }

        while (!_stopping)
        {
            var queue = GetOrStartQueue(edgeId);
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
        // stream provider and the grains it calls are still running.
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
            Log.ShutdownFlushAbandoned(_logger, queues.Length, _options.ShutdownFlushTimeout);
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
                        Log.DeliveryTooLarge(_logger, queue.EdgeId, delivery.Message.Room, delivery.Message.Event, size, _options.MaxBatchBytes);
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
            Log.DrainLoopFailed(_logger, ex, queue.EdgeId);
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
                Log.DroppedAtShutdown(_logger, queue.EdgeId, left);
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
                _batchCounter.Add(1);
                return;
            }
            catch (Exception ex) when (attempt < _options.PublishRetries && !_abort.IsCancellationRequested)
            {
                _retryCounter.Add(1);
                Log.PublishRetry(_logger, ex, queue.EdgeId, attempt + 1, _options.PublishRetries);
            }
            catch (Exception ex)
            {
                CountDropped(batch.Deliveries.Length, DropReason.PublishFailed);
                Log.BatchDropped(_logger, ex, queue.EdgeId, batch.Deliveries.Length, attempt + 1);
                return;
            }

            try
            {
                await Task.Delay(delay, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                CountDropped(batch.Deliveries.Length, DropReason.Stopping);
                Log.DroppedAtShutdown(_logger, queue.EdgeId, batch.Deliveries.Length);
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
        Log.QueueReleased(_logger, queue.EdgeId);
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
            Log.QueueFull(_logger, queue.EdgeId, pending, _options.QueueCapacity);
        }
    }

    private void CountDropped(long count, string reason) =>
        _droppedCounter.Add(count, new KeyValuePair<string, object?>("reason", reason));

    private static class DropReason
    {
        public const string QueueFull = "queue_full";
        public const string PublishFailed = "publish_failed";
        public const string Stopping = "stopping";
        public const string TooLarge = "too_large";
        public const string Invalid = "invalid";
    }
}
