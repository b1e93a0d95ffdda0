using System.Threading.Channels;
using Orleans.Streams;
using WsRooms.Delivery;

namespace WsRooms.Grains.Delivery;

/// <summary>
/// One edge host's queue in the <see cref="EdgeOutbox"/>: the bounded channel posts go into, the edge's stream, and
/// the publisher loop that takes from one and publishes to the other.
/// </summary>
internal sealed class EdgeQueue
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

    /// <summary>The edge host this queue delivers to.</summary>
    public string EdgeId { get; }

    /// <summary>The edge host's stream.</summary>
    public IAsyncStream<EdgeBatch> Stream { get; }

    /// <summary>Where posts go; completed when the queue is released or the outbox stops.</summary>
    public ChannelWriter<EdgeDelivery> Writer => _channel.Writer;

    /// <summary>What the publisher loop reads.</summary>
    public ChannelReader<EdgeDelivery> Reader => _channel.Reader;

    /// <summary>The publisher loop; it ends once the queue is released or the outbox stops, and is empty.</summary>
    public Task Drain { get; set; } = Task.CompletedTask;

    /// <summary>Set when the queue is released: a post that finds it so makes a successor.</summary>
    public volatile bool Retired;

    /// <summary>Posts refused since the last "queue full" warning.</summary>
    public long DroppedSinceLog;

    /// <summary>When the last "queue full" warning was logged (<see cref="Environment.TickCount64"/>).</summary>
    public long LastDropLogAt;

    /// <summary>The loop of the queue this one replaced, handed over once so chains of queues are not kept alive.</summary>
    public Task? TakePredecessor() => Interlocked.Exchange(ref _predecessor, null);
}
