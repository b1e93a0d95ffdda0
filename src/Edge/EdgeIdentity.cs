using Microsoft.Extensions.Options;

namespace WsRooms.Edge;

/// <summary>Who this edge host is to the cluster: the key of its delivery stream.</summary>
public sealed class EdgeIdentity(IOptions<WsRoomsEdgeOptions> options)
{
    /// <summary>The edge id: configured, or unique per process start.</summary>
    public string Id { get; } = string.IsNullOrWhiteSpace(options.Value.EdgeId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"
        : options.Value.EdgeId;
}
