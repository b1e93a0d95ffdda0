using Microsoft.Extensions.Options;
using WsRooms.Delivery;

namespace WsRooms.Grains.Delivery;

/// <summary>
/// Settings of the edge outbox, the one path from a grain to an edge host's stream (section <see cref="SectionName"/>).
/// Every edge host gets its own bounded queue and its own publisher, so one slow or full edge never holds up the others.
/// </summary>
public sealed class EdgeOutboxOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "WsRooms:Outbox";

    /// <summary>
    /// Deliveries one edge's queue holds before new ones are dropped (default 16,384): room for a burst of many full
    /// batches while the edge takes one, and a bound on what an edge that stopped taking holds of a silo's memory.
    /// </summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>
    /// The most deliveries published as one <see cref="EdgeBatch"/> stream event (default 256). Bigger batches cost
    /// fewer stream events under load; a lone delivery is still published at once, never held back to fill a batch.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// The most bytes (estimated from the frames) one <see cref="EdgeBatch"/> may carry (default 512 KiB): a batch is
    /// one Orleans message to the edge host, and a small one stays far under Orleans' message size limit and does not
    /// hold up the messages behind it on the connection to that edge. A single delivery larger than this is dropped
    /// (and logged), and a join_ack lists only as many members as fit in it.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// How many times a batch whose publish failed (the edge did not take it within the push streams' delivery
    /// timeout, or the call failed) is tried again before it is dropped (default 5).
    /// </summary>
    public int PublishRetries { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles on each further retry (default 20 ms).</summary>
    public TimeSpan PublishRetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// An edge's queue and publisher are released after this long without a delivery (default 5 minutes); the next
    /// delivery to that edge creates them again. Keeps edges that went away from holding memory forever.
    /// </summary>
    public TimeSpan IdleQueueTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long silo shutdown waits for queued deliveries to be published before abandoning them (default 5 s).
    /// </summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The shortest interval between two "deliveries dropped" warnings for one edge (default 5 s); the warning
    /// carries the number dropped since the previous one, so nothing goes uncounted.
    /// </summary>
    public TimeSpan DropLogInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Rejects settings the outbox cannot work with, at silo start rather than at the first delivery.</summary>
internal sealed class EdgeOutboxOptionsValidator : IValidateOptions<EdgeOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOutboxOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add(message);

        if (options.QueueCapacity < 1)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.QueueCapacity)} must be at least 1 (was {options.QueueCapacity}).");
        }

        if (options.MaxBatchSize < 1)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.MaxBatchSize)} must be at least 1 (was {options.MaxBatchSize}).");
        }

        if (options.MaxBatchBytes < 1024)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.MaxBatchBytes)} must be at least 1024 (was {options.MaxBatchBytes}).");
        }

        if (options.PublishRetries < 0)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.PublishRetries)} must not be negative (was {options.PublishRetries}).");
        }

        if (options.PublishRetryDelay < TimeSpan.Zero)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.PublishRetryDelay)} must not be negative (was {options.PublishRetryDelay}).");
        }

        if (options.IdleQueueTimeout <= TimeSpan.Zero)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.IdleQueueTimeout)} must be positive (was {options.IdleQueueTimeout}).");
        }

        if (options.ShutdownFlushTimeout < TimeSpan.Zero)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.ShutdownFlushTimeout)} must not be negative (was {options.ShutdownFlushTimeout}).");
        }

        if (options.DropLogInterval < TimeSpan.Zero)
        {
            Fail($"{EdgeOutboxOptions.SectionName}:{nameof(options.DropLogInterval)} must not be negative (was {options.DropLogInterval}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
