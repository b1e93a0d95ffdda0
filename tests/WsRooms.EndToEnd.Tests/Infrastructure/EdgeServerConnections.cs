using Microsoft.Extensions.DependencyInjection;
using WsRooms.Edge.Connections;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>What an in-process edge host's connection registry holds: internals the public test kit does not show.</summary>
public static class EdgeServerConnections
{
    /// <summary>The connections the edge host has registered now.</summary>
    public static int ConnectionCount(this EdgeServer edge) => edge.Services.GetRequiredService<ConnectionRegistry>().Count;

    /// <summary>Whether the edge host has connection <paramref name="connectionId"/> registered.</summary>
    public static bool HasConnection(this EdgeServer edge, string connectionId) =>
        edge.Services.GetRequiredService<ConnectionRegistry>().TryGet(connectionId, out _);
}
