using Microsoft.Extensions.Configuration;
using WsRooms.Hosting;

namespace WsRooms.EdgeHost;

/// <summary>
/// How this edge host finds the cluster and its delivery streams: section <c>Orleans</c> (ids, local gateway ports)
/// plus <c>WsRooms:Clustering</c>, <c>WsRooms:Streams:*</c> and <c>WsRooms:Azure:*</c>, which must match the silos.
/// </summary>
public sealed class EdgeClusterOptions
{
    public const string SectionName = "Orleans";

    /// <summary>Must match the silos' <c>Orleans:ClusterId</c>.</summary>
    public string ClusterId { get; set; } = "wsrooms-local";

    /// <summary>Must match the silos' <c>Orleans:ServiceId</c>.</summary>
    public string ServiceId { get; set; } = "wsrooms";

    /// <summary>
    /// Localhost clustering: the silos' gateway ports on 127.0.0.1, e.g. <c>--Orleans:GatewayPorts:0 30000 --Orleans:GatewayPorts:1 30001</c>.
    /// Empty means Orleans' default gateway port, 30000. Ignored with AzureStorage clustering (gateways are in the table).
    /// </summary>
    public int[] GatewayPorts { get; set; } = [];

    /// <summary><c>WsRooms:Clustering</c>: Localhost (default) or AzureStorage; as on the silos.</summary>
    public ClusteringProvider Clustering { get; set; }

    /// <summary><c>WsRooms:Streams:Provider</c>: Push (default), Memory or AzureQueue; as on the silos.</summary>
    public StreamsProvider Streams { get; set; }

    /// <summary><c>WsRooms:Streams:QueueCount</c>: as on the silos (Azure Queue streams).</summary>
    public int QueueCount { get; set; } = 8;

    /// <summary><c>WsRooms:Azure:*</c>.</summary>
    public AzureStorageSettings Azure { get; set; } = new();

    /// <summary>Reads every key and returns the options, or null and one line per problem, each naming its key.</summary>
    public static EdgeClusterOptions? Load(IConfiguration configuration, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        EdgeClusterOptions options;
        try
        {
            options = configuration.GetSection(SectionName).Get<EdgeClusterOptions>() ?? new EdgeClusterOptions();
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{SectionName}: {e.Message}");
            options = new EdgeClusterOptions();
        }

        options.Clustering = ProviderSettings.ReadEnum(configuration, ProviderSettings.ClusteringKey, ClusteringProvider.Localhost, problems);
        options.Streams = ProviderSettings.ReadEnum(configuration, ProviderSettings.StreamsKey, StreamsProvider.Push, problems);
        var queueCount = configuration[ProviderSettings.QueueCountKey];
        if (!string.IsNullOrWhiteSpace(queueCount))
        {
            if (int.TryParse(queueCount, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 256)
            {
                options.QueueCount = count;
            }
            else
            {
                problems.Add($"{ProviderSettings.QueueCountKey} must be 1-256 (was '{queueCount}').");
            }
        }

        options.Azure = AzureStorageSettings.Load(configuration, problems);
        problems.AddRange(options.Validate());
        errors = problems;
        return problems.Count == 0 ? options : null;
    }

    public IEnumerable<string> Validate()
    {
        if (GatewayPorts.Length == 0)
        {
            GatewayPorts = [30000];
        }

        if (GatewayPorts.Any(p => p is <= 0 or > 65535))
        {
            yield return $"Orleans:GatewayPorts must list at least one port between 1 and 65535 (was [{string.Join(", ", GatewayPorts)}]).";
        }

        if (string.IsNullOrWhiteSpace(ClusterId) || string.IsNullOrWhiteSpace(ServiceId))
        {
            yield return "Orleans:ClusterId and Orleans:ServiceId must not be empty.";
        }

        var tables = Clustering == ClusteringProvider.AzureStorage;
        var queues = Streams == StreamsProvider.AzureQueue;
        if (tables || queues)
        {
            var why = tables && queues
                ? "WsRooms:Clustering is AzureStorage, WsRooms:Streams:Provider is AzureQueue"
                : tables ? "WsRooms:Clustering is AzureStorage" : "WsRooms:Streams:Provider is AzureQueue";
            foreach (var problem in Azure.Validate(tables, queues, why))
            {
                yield return problem;
            }
        }
    }
}
