using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

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

    /// <summary><c>WsRooms:Streams:PullingPeriodMs</c>: how often edge stream queues are read; about the grain-to-edge latency.</summary>
    public int PullingPeriodMs { get; set; } = DefaultPullingPeriodMs;

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
        settings.PullingPeriodMs = ReadInt(configuration, PullingPeriodKey, settings.PullingPeriodMs, problems);

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
