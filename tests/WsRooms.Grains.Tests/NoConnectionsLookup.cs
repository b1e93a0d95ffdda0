namespace WsRooms.Grains.Tests;

/// <summary>
/// The lookup of an edge host that holds no connection the cluster could adopt: what a test sends with a lease
/// renewal when its connections are opened explicitly, with ids that carry no edge tag.
/// </summary>
public sealed class NoConnectionsLookup : IEdgeConnectionLookup
{
    public Task<IReadOnlyDictionary<string, string>?> AdoptAsync(string connectionId) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(null);
}
