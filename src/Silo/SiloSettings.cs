using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using WsRooms.Hosting;

namespace WsRooms.Silo;

/// <summary>
/// What this silo process reads from configuration (appsettings.json, environment, command line), checked before
/// anything starts so a wrong value stops the process with a message naming the key.
/// </summary>
public sealed class SiloSettings
{
    public const string OrleansSection = "Orleans";
    public const string PullingPeriodKey = "WsRooms:Streams:PullingPeriodMs";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
    public const int DefaultPullingPeriodMs = 2;
    public const int DefaultAzureQueuePullingPeriodMs = 50;
    public const string AdvertisedIPAddressKey = "Orleans:AdvertisedIPAddress";
    public const string ProbeTimeoutKey = "WsRooms:Membership:ProbeTimeout";
    public const string NumMissedProbesLimitKey = "WsRooms:Membership:NumMissedProbesLimit";
    public const string ResponseTimeoutKey = "WsRooms:Messaging:ResponseTimeout";

    /// <summary><c>Orleans:ClusterId</c>: silos and clients with the same id form one cluster.</summary>
    public string ClusterId { get; set; } = "wsrooms-local";

    /// <summary><c>Orleans:ServiceId</c>: stable across deployments; storage keys depend on it.</summary>
    public string ServiceId { get; set; } = "wsrooms";

    /// <summary><c>Orleans:SiloPort</c>: silo-to-silo traffic, on 127.0.0.1.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary><c>Orleans:GatewayPort</c>: where edge hosts (Orleans clients) connect, on 127.0.0.1.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary><c>Orleans:PrimarySiloPort</c>: 0 means this silo is the primary; otherwise join the primary on 127.0.0.1 at this port.</summary>
    public int PrimarySiloPort { get; set; }

    /// <summary><c>WsRooms:Streams:PullingPeriodMs</c>: Memory and AzureQueue streams only: how often edge stream queues are read; about the grain-to-edge latency.</summary>
    public int PullingPeriodMs { get; set; } = DefaultPullingPeriodMs;

    /// <summary><c>WsRooms:Clustering</c>: Localhost (default) or AzureStorage.</summary>
    public ClusteringProvider Clustering { get; set; }

    /// <summary><c>WsRooms:GrainStorage</c>: Memory (default) or AzureTable.</summary>
    public GrainStorageProvider GrainStorage { get; set; }

    /// <summary><c>WsRooms:Streams:Provider</c>: Push (default), Memory or AzureQueue.</summary>
    public StreamsProvider Streams { get; set; }

    /// <summary><c>WsRooms:Streams:QueueCount</c>: Azure queues the edge streams are spread over (default 8); the same on every process.</summary>
    public int QueueCount { get; set; } = 8;

    /// <summary>
    /// <c>Orleans:AdvertisedIPAddress</c> (AzureStorage clustering): the address other silos and edge hosts reach this
    /// silo at. Empty: this machine's first IPv4 address (what a container gets). 127.0.0.1 for one machine.
    /// </summary>
    public IPAddress? AdvertisedIPAddress { get; set; }

    /// <summary><c>WsRooms:Membership:ProbeTimeout</c>: set only by tests; production keeps Orleans' default.</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary><c>WsRooms:Membership:NumMissedProbesLimit</c>: set only by tests; production keeps Orleans' default.</summary>
    public int? NumMissedProbesLimit { get; set; }

    /// <summary>
    /// <c>WsRooms:Messaging:ResponseTimeout</c>: Orleans' response timeout on the silo (default Orleans' 30 s). A
    /// stream delivery that was on its way to an edge through a silo that then died waits this long before it is
    /// retried, so it bounds the delivery stall after a silo death. Tests set 5 s.
    /// </summary>
    public TimeSpan? ResponseTimeout { get; set; }

    /// <summary><c>WsRooms:Azure:*</c>: how to reach the storage account.</summary>
    public AzureStorageSettings Azure { get; set; } = new();

    public IPEndPoint? PrimarySiloEndpoint => PrimarySiloPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, PrimarySiloPort);

    public TimeSpan PullingPeriod => TimeSpan.FromMilliseconds(PullingPeriodMs);

    /// <summary>Reads and checks the settings. Returns null and the problems (one line each, naming the key) when they are wrong.</summary>
    public static SiloSettings? Load(IConfiguration configuration, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var settings = new SiloSettings();
        var orleans = configuration.GetSection(OrleansSection);

        settings.ClusterId = ReadString(orleans, nameof(ClusterId), settings.ClusterId);
        settings.ServiceId = ReadString(orleans, nameof(ServiceId), settings.ServiceId);
        settings.SiloPort = ReadInt(orleans, nameof(SiloPort), settings.SiloPort, problems);
        settings.GatewayPort = ReadInt(orleans, nameof(GatewayPort), settings.GatewayPort, problems);
        settings.PrimarySiloPort = ReadInt(orleans, nameof(PrimarySiloPort), settings.PrimarySiloPort, problems);
        settings.Clustering = ProviderSettings.ReadEnum(configuration, ProviderSettings.ClusteringKey, ClusteringProvider.Localhost, problems);
        settings.GrainStorage = ProviderSettings.ReadEnum(configuration, ProviderSettings.GrainStorageKey, GrainStorageProvider.Memory, problems);
        settings.Streams = ProviderSettings.ReadEnum(configuration, ProviderSettings.StreamsKey, StreamsProvider.Push, problems);
        // Each Azure Queue read is a storage request per queue: its default period is longer than memory's.
        settings.PullingPeriodMs = ReadInt(configuration, PullingPeriodKey, settings.Streams == StreamsProvider.AzureQueue ? DefaultAzureQueuePullingPeriodMs : settings.PullingPeriodMs, problems);
        settings.QueueCount = ReadInt(configuration, ProviderSettings.QueueCountKey, settings.QueueCount, problems);
        settings.Azure = AzureStorageSettings.Load(configuration, problems);

        var advertised = configuration[AdvertisedIPAddressKey];
        if (!string.IsNullOrWhiteSpace(advertised))
        {
            if (IPAddress.TryParse(advertised.Trim(), out var ip))
            {
                settings.AdvertisedIPAddress = ip;
            }
            else
            {
                problems.Add($"{AdvertisedIPAddressKey} must be an IP address (was '{advertised}').");
            }
        }

        var probeTimeout = configuration[ProbeTimeoutKey];
        if (!string.IsNullOrWhiteSpace(probeTimeout))
        {
            if (TimeSpan.TryParse(probeTimeout, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero)
            {
                settings.ProbeTimeout = timeout;
            }
            else
            {
                problems.Add($"{ProbeTimeoutKey} must be a positive time span such as 00:00:02 (was '{probeTimeout}').");
            }
        }

        var responseTimeout = configuration[ResponseTimeoutKey];
        if (!string.IsNullOrWhiteSpace(responseTimeout))
        {
            if (TimeSpan.TryParse(responseTimeout, CultureInfo.InvariantCulture, out var response) && response >= TimeSpan.FromSeconds(1))
            {
                settings.ResponseTimeout = response;
            }
            else
            {
                problems.Add($"{ResponseTimeoutKey} must be a time span of at least 00:00:01 (was '{responseTimeout}').");
            }
        }

        if (configuration[NumMissedProbesLimitKey] is not null)
        {
            settings.NumMissedProbesLimit = ReadInt(configuration, NumMissedProbesLimitKey, 3, problems);
        }

        // A value that did not parse kept its default, so checking the rest as well reports everything at once.
        problems.AddRange(settings.Validate());

        errors = problems;
        return problems.Count == 0 ? settings : null;
    }

    /// <summary>The rules, apart from parsing.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            yield return "Orleans:ClusterId must not be empty.";
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            yield return "Orleans:ServiceId must not be empty.";
        }

        if (SiloPort is < 1 or > 65535)
        {
            yield return $"Orleans:SiloPort must be a TCP port, 1-65535 (was {SiloPort}).";
        }

        if (GatewayPort is < 1 or > 65535)
        {
            yield return $"Orleans:GatewayPort must be a TCP port, 1-65535 (was {GatewayPort}).";
        }

        if (SiloPort == GatewayPort)
        {
            yield return $"Orleans:SiloPort and Orleans:GatewayPort must differ (both {SiloPort}).";
        }

        if (PrimarySiloPort is < 0 or > 65535)
        {
            yield return $"Orleans:PrimarySiloPort must be 0 (this silo is the primary) or a TCP port (was {PrimarySiloPort}).";
        }

        if (PrimarySiloPort == SiloPort)
        {
            yield return $"Orleans:PrimarySiloPort is this silo's own port ({SiloPort}); leave it 0 to make this silo the primary.";
        }

        if (PullingPeriodMs is < 1 or > 10_000)
        {
            yield return $"{PullingPeriodKey} must be 1-10000 ms (was {PullingPeriodMs}).";
        }

        if (QueueCount is < 1 or > 256)
        {
            yield return $"{ProviderSettings.QueueCountKey} must be 1-256 (was {QueueCount}).";
        }

        if (NumMissedProbesLimit is < 1 or > 100)
        {
            yield return $"{NumMissedProbesLimitKey} must be 1-100 (was {NumMissedProbesLimit}).";
        }

        var tables = Clustering == ClusteringProvider.AzureStorage || GrainStorage == GrainStorageProvider.AzureTable;
        var queues = Streams == StreamsProvider.AzureQueue;
        if (tables || queues)
        {
            var why = string.Join(", ", new[]
            {
                Clustering == ClusteringProvider.AzureStorage ? "WsRooms:Clustering is AzureStorage" : null,
                GrainStorage == GrainStorageProvider.AzureTable ? "WsRooms:GrainStorage is AzureTable" : null,
                queues ? "WsRooms:Streams:Provider is AzureQueue" : null,
            }.Where(w => w is not null));
            foreach (var problem in Azure.Validate(tables, queues, why))
            {
                yield return problem;
            }
        }

        if (Clustering == ClusteringProvider.AzureStorage && PrimarySiloPort != 0)
        {
            yield return $"Orleans:PrimarySiloPort is for Localhost clustering only; with AzureStorage clustering silos find each other in the table (leave it 0).";
        }
    }

    private static string ReadString(IConfiguration section, string key, string fallback)
    {
        var value = section[key];
        return value is null ? fallback : value.Trim();
    }

    private static int ReadInt(IConfiguration section, string key, int fallback, List<string> problems)
    {
        // Absent means the default; present but empty is a mistake (often an unset shell variable), not a default.
        var value = section[key];
        if (value is null)
        {
            return fallback;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        var path = section is IConfigurationSection s ? $"{s.Path}:{key}" : key;
        problems.Add($"{path} must be a whole number (was '{value}').");
        return fallback;
    }
}
