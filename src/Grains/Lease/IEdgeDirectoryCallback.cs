using Orleans.Concurrency;

namespace WsRooms.Grains.Lease;

/// <summary>How a reaper reports back to the directory. Infrastructure; not for application code.</summary>
public interface IEdgeDirectoryCallback : IGrainWithStringKey
{
    /// <summary>
    /// The reaper of edge <paramref name="edgeId"/>, process <paramref name="instance"/>, is done: when
    /// <paramref name="succeeded"/>, every connection it left open is closed and the directory forgets the edge.
    /// </summary>
    [OneWay]
    Task ExpiryFinishedAsync(string edgeId, string instance, bool succeeded);
}
