using System.Diagnostics;

namespace WsRooms.Testing;

/// <summary>How tests wait for what they expect: a condition, looked at again until it holds or a deadline passes.</summary>
public static class Poll
{
    /// <summary>How long <see cref="UntilAsync"/> waits between two looks.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Checks <paramref name="condition"/> every <see cref="Interval"/> until it holds. An exception from the condition
    /// counts as "not yet" until the deadline; after <paramref name="timeout"/> a <see cref="TimeoutException"/> names
    /// <paramref name="what"/> was awaited (the last exception, if any, is its inner exception).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (watch.Elapsed < timeout)
            {
                // Not yet (a refused connection, a grain call during failover): look again.
                last = e;
            }

            if (watch.Elapsed >= timeout)
            {
                throw new TimeoutException($"Waited {timeout} for {what}.", last);
            }

            await Task.Delay(Interval);
        }
    }
}
