namespace WsRooms.Grains;

/// <summary>
/// The cluster's list of live edge hosts, one grain (key <see cref="Key"/>). Every edge host renews its lease here
/// every third of the lease; when an edge host misses its lease (it died without saying so: kill -9, a lost
/// machine), each of its connections is closed in the cluster, so it leaves every room and the other members get
/// <c>member_left</c>, and the edge is detached from <c>root</c>.
/// </summary>
/// <remarks>
/// Edges renew often enough that this grain is always active while any edge lives, and is reactivated on another
/// silo right after the silo holding it dies; it then reloads the edges it knew and gives each one lease to renew.
/// </remarks>
public interface IEdgeDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The one directory's key.</summary>
    public const string Key = "edges";

    /// <summary>
    /// Edge host: renews the lease of edge <paramref name="edgeId"/>, process instance <paramref name="instance"/>
    /// (fresh per process start), for <paramref name="lease"/>, and says how to reach the connections this edge host
    /// holds: their ids carry <paramref name="edgeTag"/> (<see cref="ConnectionIds"/>), and <paramref name="lookup"/>
    /// answers for them. See <see cref="EdgeLeaseStatus"/> for the answer.
    /// </summary>
    Task<EdgeLeaseStatus> RenewAsync(string edgeId, string instance, TimeSpan lease, long edgeTag, IEdgeConnectionLookup lookup);

    /// <summary>
    /// The live edge host whose connections carry <paramref name="edgeTag"/>, or null: no such edge, its lease
    /// lapsed, or it has not renewed since this directory was reactivated (it does within a third of its lease).
    /// </summary>
    Task<EdgeRoute?> ResolveAsync(long edgeTag);

    /// <summary>Edge host, on a graceful stop after draining: gives the lease up and closes whatever it left open.</summary>
    Task ReleaseAsync(string edgeId, string instance);

    /// <summary>The edge hosts holding a lease now.</summary>
    Task<IReadOnlyList<string>> GetLiveEdgesAsync();
}

/// <summary>The directory's answer to a renewal.</summary>
[GenerateSerializer]
public enum EdgeLeaseStatus : byte
{
    /// <summary>The lease was held and is renewed.</summary>
    Renewed = 0,

    /// <summary>
    /// The directory did not know this edge instance and now does. Expected on an edge's first renewal; on a later
    /// one it means the lease had lapsed and the cluster closed the edge's connections: the edge must close their
    /// sockets (clients reconnect) and attach to root again.
    /// </summary>
    Registered = 1,

    /// <summary>
    /// The lease lapsed (or another instance held it) and the connections it covered are being closed; renew again
    /// shortly. The edge's sockets are no longer known to the cluster.
    /// </summary>
    Expiring = 2,
}
