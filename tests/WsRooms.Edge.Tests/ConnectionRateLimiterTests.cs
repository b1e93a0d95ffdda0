using WsRooms.Edge.Limits;

namespace WsRooms.Edge.Tests;

/// <summary>
/// One connection's frame and byte buckets. The replenisher's timer is stopped in every test and the test refills by
/// hand, so only the refills a test makes change what a bucket holds.
/// </summary>
public sealed class ConnectionRateLimiterTests : IDisposable
{
    private const int MaxMessageBytes = 1000;

    private readonly RateLimitReplenisher _replenisher = new();

    public void Dispose() => _replenisher.Dispose();

    private ConnectionRateLimiter Limiter(Action<QuotaOptions> configure)
    {
        var quotas = new QuotaOptions();
        configure(quotas);
        var limiter = new ConnectionRateLimiter(quotas, MaxMessageBytes, _replenisher);
        _replenisher.Dispose(); // the timer the first limiter started: the tests refill with Replenish
        return limiter;
    }

    private static int Taken(ConnectionRateLimiter limiter, int frameBytes, int attempts = 1000)
    {
        var taken = 0;
        while (taken < attempts && limiter.TryTake(frameBytes))
        {
            taken++;
        }

        return taken;
    }

    [Fact]
    public void WithoutRatesEveryFramePasses()
    {
        using var limiter = Limiter(_ => { });
        Assert.Equal(1000, Taken(limiter, MaxMessageBytes));
    }

    [Fact]
    public void TheMessageBucketHoldsOneSecondOfFramesByDefault()
    {
        using var limiter = Limiter(q => q.MessagesPerSecond = 7);
        Assert.Equal(7, Taken(limiter, 1));
    }

    [Fact]
    public void AMessageBurstSizesTheMessageBucket()
    {
        using var limiter = Limiter(q =>
        {
            q.MessagesPerSecond = 7;
            q.MessageBurst = 3;
        });
        Assert.Equal(3, Taken(limiter, 1));
    }

    [Fact]
    public void AFrameTakesItsLengthFromTheByteBucket()
    {
        using var limiter = Limiter(q => q.BytesPerSecond = 2500);
        Assert.Equal(4, Taken(limiter, 600));
        Assert.True(limiter.TryTake(100)); // 2500 - 4 * 600 left
        Assert.False(limiter.TryTake(1));
    }

    [Fact]
    public void TheByteBucketHoldsAtLeastTheLargestFrame()
    {
        using var limiter = Limiter(q => q.BytesPerSecond = 10);
        Assert.True(limiter.TryTake(MaxMessageBytes));
        Assert.False(limiter.TryTake(1));
    }

    [Fact]
    public void AByteBurstSizesTheByteBucket()
    {
        using var limiter = Limiter(q =>
        {
            q.BytesPerSecond = 10;
            q.ByteBurst = 3000;
        });
        Assert.Equal(3, Taken(limiter, MaxMessageBytes));
    }

    [Fact]
    public void AnEmptyFrameTakesNoBytes()
    {
        using var limiter = Limiter(q => q.BytesPerSecond = 1000);
        Assert.True(limiter.TryTake(MaxMessageBytes));
        Assert.True(limiter.TryTake(0));
    }

    [Fact]
    public void AFrameMustPassBothBuckets()
    {
        using var limiter = Limiter(q =>
        {
            q.MessagesPerSecond = 100;
            q.BytesPerSecond = 2000;
        });
        Assert.Equal(2, Taken(limiter, MaxMessageBytes));
    }

    [Fact]
    public async Task ARateDivisibleByTheTicksIsRefilledOnEveryTick()
    {
        using var limiter = Limiter(q => q.MessagesPerSecond = 20);
        Assert.True(limiter.MessagesEveryTick);
        Assert.Equal(20, Taken(limiter, 1));

        // A bucket fills with the time that has passed: let one tick's worth pass (time is the subject here).
        await Task.Delay(RateLimitReplenisher.Tick * 1.5);
        limiter.Replenish(fullSecond: false);

        Assert.InRange(Taken(limiter, 1), 2, 20);
    }

    [Fact]
    public async Task AnyOtherRateIsRefilledOnlyOnTheFullSecond()
    {
        using var limiter = Limiter(q => q.MessagesPerSecond = 7);
        Assert.False(limiter.MessagesEveryTick);
        Assert.Equal(7, Taken(limiter, 1));

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        limiter.Replenish(fullSecond: false);
        Assert.False(limiter.TryTake(1));

        limiter.Replenish(fullSecond: true);
        Assert.Equal(7, Taken(limiter, 1));
    }

    [Fact]
    public async Task ARefillNeverFillsTheBucketPastItsBurst()
    {
        using var limiter = Limiter(q =>
        {
            q.MessagesPerSecond = 10;
            q.MessageBurst = 3;
        });

        // A second's refill is ten frames; the bucket holds three.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        limiter.Replenish(fullSecond: true);

        Assert.Equal(3, Taken(limiter, 1));
    }

    [Fact]
    public void ADisposedLimiterLeavesTheReplenisher()
    {
        var limiter = Limiter(q => q.MessagesPerSecond = 5);
        using var other = new ConnectionRateLimiter(new QuotaOptions { MessagesPerSecond = 5 }, MaxMessageBytes, _replenisher);
        Assert.Equal(2, _replenisher.Count);

        limiter.Dispose();

        Assert.Equal(1, _replenisher.Count);
    }
}
