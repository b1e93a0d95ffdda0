using System.Diagnostics;

namespace WsRooms.Testing;

/// <summary>How tests wait for what they expect: a condition, looked at again until it holds or a deadline passes.</summary>
public static class Poll
{
    /// <summary>Checks <paramref name="condition"/> every 50 ms until it holds; throws after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception) when (watch.Elapsed < timeout)
            {
                // Not yet (a refused connection, a grain call during failover): look again.
            }

            if (watch.Elapsed >= timeout)
            {
                throw new TimeoutException($"Waited {timeout} for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
