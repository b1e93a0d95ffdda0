using System.Threading.RateLimiting;

namespace WsRooms.Edge.Limits;

/// <summary>
/// One connection's two token buckets (<see cref="TokenBucketRateLimiter"/>): frames per second and bytes per second.
/// A frame takes one token from the first and its length from the second, before it is parsed; an empty bucket means
/// the client sends faster than allowed, and it is closed with 1008. The buckets do not run a timer each: one
/// <see cref="RateLimitReplenisher"/> refills every bucket of the edge host.
/// </summary>
internal sealed class ConnectionRateLimiter : IDisposable
{
    private readonly TokenBucketRateLimiter? _messages;
    private readonly TokenBucketRateLimiter? _bytes;
    private readonly RateLimitReplenisher _replenisher;

    public ConnectionRateLimiter(QuotaOptions quotas, int maxMessageBytes, RateLimitReplenisher replenisher)
    {
        _replenisher = replenisher;
        if (quotas.MessagesPerSecond > 0)
        {
            _messages = Create(quotas.MessagesPerSecond, quotas.EffectiveMessageBurst, out MessagesEveryTick);
        }

        if (quotas.BytesPerSecond > 0)
        {
            _bytes = Create(quotas.BytesPerSecond, quotas.EffectiveByteBurst(maxMessageBytes), out BytesEveryTick);
        }

        replenisher.Add(this);
    }

    // Rates divisible by the ticks per second are refilled every tick (smooth); others once a second.
    internal readonly bool MessagesEveryTick;
    internal readonly bool BytesEveryTick;

    /// <summary>Takes the tokens for one frame of <paramref name="frameBytes"/>; false when a bucket is empty.</summary>
    public bool TryTake(int frameBytes)
    {
        if (_messages is not null)
        {
            using var lease = _messages.AttemptAcquire(1);
            if (!lease.IsAcquired)
            {
                return false;
            }
        }

        if (_bytes is not null && frameBytes > 0)
        {
            using var lease = _bytes.AttemptAcquire(frameBytes);
            if (!lease.IsAcquired)
            {
                return false;
            }
        }

        return true;
    }

    internal void Replenish(bool fullSecond)
    {
        if (_messages is not null && (MessagesEveryTick || fullSecond))
        {
            _messages.TryReplenish();
        }

        if (_bytes is not null && (BytesEveryTick || fullSecond))
        {
            _bytes.TryReplenish();
        }
    }

    public void Dispose()
    {
        _replenisher.Remove(this);
        _messages?.Dispose();
        _bytes?.Dispose();
    }

    private static TokenBucketRateLimiter Create(int perSecond, int burst, out bool everyTick)
    {
        everyTick = perSecond % RateLimitReplenisher.TicksPerSecond == 0;
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(burst, 1),
            TokensPerPeriod = everyTick ? perSecond / RateLimitReplenisher.TicksPerSecond : perSecond,
            ReplenishmentPeriod = everyTick ? RateLimitReplenisher.Tick : TimeSpan.FromSeconds(1),
            AutoReplenishment = false, // refilled by the edge's one replenisher, not a timer per bucket
            QueueLimit = 0,
        });
    }
}
