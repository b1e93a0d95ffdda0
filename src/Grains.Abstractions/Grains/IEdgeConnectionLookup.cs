namespace WsRooms.Grains;

/// <summary>
/// An edge host, answering for the connections it holds. Each edge host registers one with its lease
/// (<see cref="IEdgeDirectoryGrain"/>); a <see cref="IConnectionGrain"/> asked about a connection it has not heard of
/// asks here. Infrastructure; not for application code.
/// </summary>
public interface IEdgeConnectionLookup : IGrainObserver
{
    /// <summary>
    /// The claims of connection <paramref name="connectionId"/> when its socket is open on this edge host, which from
    /// then on tells the cluster when it closes; null when it is not open here (closed, closing, or never was).
    /// </summary>
    Task<IReadOnlyDictionary<string, string>?> AdoptAsync(string connectionId);
}

/// <summary>Where the connections with one edge tag live: the edge host's id (its stream) and its lookup.</summary>
[GenerateSerializer, Immutable, Alias("wsrooms.EdgeRoute")]
public sealed record EdgeRoute(
    [property: Id(0)] string EdgeId,
    [property: Id(1)] IEdgeConnectionLookup Lookup);
