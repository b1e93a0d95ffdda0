using System.Collections.Concurrent;

namespace WsRooms.Edge.Limits;

/// <summary>
/// Refills every connection's buckets on one timer (every 100 ms) instead of two timers per connection. Started
/// by the first limited connection; costs nothing while rate limits are off.
/// </summary>
internal sealed class RateLimitReplenisher : IDisposable
{
    public const int TicksPerSecond = 10;
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1.0 / TicksPerSecond);

    private readonly ConcurrentDictionary<ConnectionRateLimiter, byte> _limiters = new();
    private readonly Lock _timerGate = new();
    private Timer? _timer;
    private int _ticks;

    /// <summary>Connections whose buckets this timer refills.</summary>
    public int Count => _limiters.Count;

    public void Add(ConnectionRateLimiter limiter)
    {
        _limiters.TryAdd(limiter, 0);
        if (_timer is null)
        {
            lock (_timerGate)
            {
                _timer ??= new Timer(static state => ((RateLimitReplenisher)state!).OnTick(), this, Tick, Tick);
            }
        }
    }

    public void Remove(ConnectionRateLimiter limiter) => _limiters.TryRemove(limiter, out _);

    private void OnTick()
    {
        var fullSecond = Interlocked.Increment(ref _ticks) % TicksPerSecond == 0;
        foreach (var pair in _limiters)
        {
            pair.Key.Replenish(fullSecond);
        }
    }

    public void Dispose()
    {
        lock (_timerGate)
        {
            _timer?.Dispose();
        }
    }
}
