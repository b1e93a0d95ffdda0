using WsRooms.Grains;

namespace WsRooms.Edge.Connections;

/// <summary>
/// This edge host's answer when a <see cref="IConnectionGrain"/> asks about a connection it has not heard of:
/// the claims if the socket is open here. From that answer on the connection closes its grain when it ends.
/// Registered with the lease (<see cref="Lease.EdgeLease"/>), as an Orleans observer.
/// </summary>
internal sealed class EdgeConnectionLookup(ConnectionRegistry registry) : IEdgeConnectionLookup
{
    public Task<IReadOnlyDictionary<string, string>?> AdoptAsync(string connectionId) =>
        Task.FromResult(registry.TryGet(connectionId, out var connection) && connection.TryMarkRegistered()
            ? connection.Claims
            : null);
}
