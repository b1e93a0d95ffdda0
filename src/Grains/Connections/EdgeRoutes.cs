using System.Collections.Concurrent;

namespace WsRooms.Grains.Connections;

/// <summary>
/// This silo's memory of <see cref="IEdgeDirectoryGrain.ResolveAsync"/>: which edge host holds the connections with
/// a given edge tag. Keeps the one directory grain from being asked once per connection when many connections are
/// looked up at once (a server pushing to every client after a reconnect storm).
/// </summary>
/// <remarks>
/// A tag names one edge process for its whole life, so a remembered route can go stale (its edge died) but never
/// wrong; a lookup that fails forgets it (<see cref="Forget"/>), and every route is asked again after
/// <see cref="TimeToLive"/>. Unknown tags are remembered as unknown for the same time, so ids made up by a client
/// cost no more than one directory call per tag per period.
/// </remarks>
internal sealed class EdgeRoutes(IGrainFactory grains, TimeProvider time)
{
    /// <summary>How long an answer of the directory is used.</summary>
    internal static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(2);

    // Bounded: past this many tags the memory starts over (tags are few; ids made up by clients are not).
    private const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<long, (EdgeRoute? Route, long At)> _routes = new();

    public async ValueTask<EdgeRoute?> ResolveAsync(long edgeTag)
    {
        var now = time.GetTimestamp();
        if (_routes.TryGetValue(edgeTag, out var known) && time.GetElapsedTime(known.At, now) < TimeToLive)
        {
            return known.Route;
        }

        var route = await grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).ResolveAsync(edgeTag).ConfigureAwait(false);
        if (_routes.Count >= MaxEntries)
        {
            _routes.Clear();
        }

        _routes[edgeTag] = (route, now);
        return route;
    }

    /// <summary>The edge behind <paramref name="edgeTag"/> did not answer: ask the directory next time.</summary>
    public void Forget(long edgeTag) => _routes.TryRemove(edgeTag, out _);
}
