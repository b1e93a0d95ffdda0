namespace WsRooms.EdgeHost;

/// <summary>How this edge host finds the cluster (section <c>Orleans</c>). Local clustering: the silos' gateway ports on 127.0.0.1.</summary>
public sealed class EdgeClusterOptions
{
    public const string SectionName = "Orleans";

    /// <summary>Must match the silos' <c>Orleans:ClusterId</c>.</summary>
    public string ClusterId { get; set; } = "wsrooms-local";

    /// <summary>Must match the silos' <c>Orleans:ServiceId</c>.</summary>
    public string ServiceId { get; set; } = "wsrooms";

    /// <summary>
    /// The silos' gateway ports on 127.0.0.1, e.g. <c>--Orleans:GatewayPorts:0 30000 --Orleans:GatewayPorts:1 30001</c>.
    /// Empty means Orleans' default gateway port, 30000.
    /// </summary>
    public int[] GatewayPorts { get; set; } = [];

    public void Validate()
    {
        if (GatewayPorts.Length == 0)
        {
            GatewayPorts = [30000];
        }

        if (GatewayPorts.Any(p => p is <= 0 or > 65535))
        {
            throw new InvalidOperationException($"Orleans:GatewayPorts must list at least one port between 1 and 65535 (was [{string.Join(", ", GatewayPorts)}]).");
        }

        if (string.IsNullOrWhiteSpace(ClusterId) || string.IsNullOrWhiteSpace(ServiceId))
        {
            throw new InvalidOperationException("Orleans:ClusterId and Orleans:ServiceId must not be empty.");
        }
    }
}
