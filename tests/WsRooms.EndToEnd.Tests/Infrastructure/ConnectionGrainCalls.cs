using System.Collections.Concurrent;
using WsRooms.Grains;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Every call that reached an <see cref="IConnectionGrain"/> on the test silos, by connection id, in arrival order:
/// a grain call filter on the silos (they run in this process) records them, so tests can show what an edge host
/// asked of the cluster, and what it did not.
/// </summary>
public static class ConnectionGrainCalls
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Calls = new(StringComparer.Ordinal);

    /// <summary>The methods called on connection <paramref name="connectionId"/>'s grain so far.</summary>
    public static IReadOnlyList<string> For(string connectionId) =>
        Calls.TryGetValue(connectionId, out var calls) ? [.. calls] : [];

    internal static Task RecordAsync(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IConnectionGrain))
        {
            Calls.GetOrAdd(context.TargetId.Key.ToString()!, _ => new ConcurrentQueue<string>()).Enqueue(context.InterfaceMethod.Name);
        }

        return context.Invoke();
    }
}
