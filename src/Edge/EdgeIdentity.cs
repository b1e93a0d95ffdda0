using Microsoft.Extensions.Options;
using WsRooms.Grains;

namespace WsRooms.Edge;

/// <summary>Who this edge host is to the cluster: the key of its delivery stream, and the tag in its connection ids.</summary>
public sealed class EdgeIdentity(IOptions<WsRoomsEdgeOptions> options)
{
    /// <summary>The edge id: configured, or unique per process start.</summary>
    public string Id { get; } = string.IsNullOrWhiteSpace(options.Value.EdgeId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"
        : options.Value.EdgeId;

    /// <summary>
    /// Drawn per process start, also when <see cref="Id"/> is configured: an id made by an earlier process never
    /// resolves to this one (see <see cref="ConnectionIds"/>).
    /// </summary>
    public long Tag { get; } = ConnectionIds.NewEdgeTag();

    /// <summary>A new connection id: unique across the cluster, and naming this edge host to it.</summary>
    public string NewConnectionId() => ConnectionIds.Create(Tag);
}
