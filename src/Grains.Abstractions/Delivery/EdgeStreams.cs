namespace WsRooms.Delivery;

/// <summary>
/// Where an edge host's deliveries flow: one Orleans stream per edge host, id
/// <c>StreamId.Create(EdgeStreams.Namespace, edgeId)</c> on provider <see cref="ProviderName"/>.
/// </summary>
public static class EdgeStreams
{
    /// <summary>The name of the stream provider silos and edge hosts both register.</summary>
    public const string ProviderName = "wsrooms";

    /// <summary>The stream namespace; the key is the edge host's id.</summary>
    public const string Namespace = "wsrooms.edge";
}
