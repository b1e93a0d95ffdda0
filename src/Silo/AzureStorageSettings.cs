using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace WsRooms.Hosting;

/// <summary>
/// How a WsRooms process reaches Azure Storage (section <c>WsRooms:Azure</c>), shared by the silo and the edge host:
/// either a connection string (Azurite, or a key kept in a secret store and passed in the environment), or the
/// account's service URIs with <see cref="DefaultAzureCredential"/> (managed identity on Azure). No secret is ever
/// in the repository: a connection string arrives through the environment or the command line.
/// </summary>
public sealed class AzureStorageSettings
{
    public const string SectionName = "WsRooms:Azure";

    /// <summary><c>WsRooms:Azure:ConnectionString</c>: takes precedence over the URIs when set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>WsRooms:Azure:TableServiceUri</c>, e.g. <c>https://ACCOUNT.table.core.windows.net</c>.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary><c>WsRooms:Azure:QueueServiceUri</c>, e.g. <c>https://ACCOUNT.queue.core.windows.net</c> (Azure Queue streams only).</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary><c>WsRooms:Azure:ManagedIdentityClientId</c>: the client id of a user-assigned managed identity; empty for a system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Reads the section; adds a line naming the key for each value that does not parse.</summary>
    public static AzureStorageSettings Load(IConfiguration configuration, List<string> problems)
    {
        var section = configuration.GetSection(SectionName);
        return new AzureStorageSettings
        {
            ConnectionString = Blank(section[nameof(ConnectionString)]),
            TableServiceUri = ReadUri(section, nameof(TableServiceUri), problems),
            QueueServiceUri = ReadUri(section, nameof(QueueServiceUri), problems),
            ManagedIdentityClientId = Blank(section[nameof(ManagedIdentityClientId)]),
        };
    }

    /// <summary>What is missing for the providers chosen; one line each.</summary>
    public IEnumerable<string> Validate(bool tables, bool queues, string why)
    {
        if (ConnectionString is not null)
        {
            yield break;
        }

        if (tables && TableServiceUri is null)
        {
            yield return $"{SectionName}:ConnectionString or {SectionName}:TableServiceUri must be set ({why}).";
        }

        if (queues && QueueServiceUri is null)
        {
            yield return $"{SectionName}:ConnectionString or {SectionName}:QueueServiceUri must be set ({why}).";
        }
    }

    public TableServiceClient CreateTableServiceClient() => ConnectionString is not null
        ? new TableServiceClient(ConnectionString)
        : new TableServiceClient(TableServiceUri ?? throw new InvalidOperationException($"{SectionName}:TableServiceUri is not set."), CreateCredential());

    public QueueServiceClient CreateQueueServiceClient() => ConnectionString is not null
        ? new QueueServiceClient(ConnectionString)
        : new QueueServiceClient(QueueServiceUri ?? throw new InvalidOperationException($"{SectionName}:QueueServiceUri is not set."), CreateCredential());

    /// <summary>How the logs name where storage is, without ever printing a key.</summary>
    public string Describe() => ConnectionString is not null
        ? "connection string (" + DescribeConnectionString(ConnectionString) + ")"
        : $"{TableServiceUri?.Host ?? QueueServiceUri?.Host} with DefaultAzureCredential";

    private TokenCredential CreateCredential() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = ManagedIdentityClientId,
    });

    private static string DescribeConnectionString(string connectionString)
    {
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("TableEndpoint=", StringComparison.OrdinalIgnoreCase) || part.StartsWith("AccountName=", StringComparison.OrdinalIgnoreCase))
            {
                return part;
            }
        }

        return connectionString.StartsWith("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase) ? "development storage" : "account";
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static Uri? ReadUri(IConfiguration section, string key, List<string> problems)
    {
        var value = Blank(section[key]);
        if (value is null)
        {
            return null;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri;
        }

        problems.Add($"{SectionName}:{key} must be an absolute http(s) URI (was '{value}').");
        return null;
    }
}

/// <summary>Where the cluster's membership lives: <c>WsRooms:Clustering</c>.</summary>
public enum ClusteringProvider
{
    /// <summary>Loopback only, the first silo is the rendezvous (development, one machine).</summary>
    Localhost,

    /// <summary>Orleans' Azure Table membership: silos and edge hosts anywhere that reach the storage account.</summary>
    AzureStorage,
}

/// <summary>Where grain state lives: <c>WsRooms:GrainStorage</c> (silo only).</summary>
public enum GrainStorageProvider
{
    Memory,
    AzureTable,
}

/// <summary>What carries deliveries to the edge hosts: <c>WsRooms:Streams:Provider</c>.</summary>
public enum StreamsProvider
{
    /// <summary>Push streams: each delivery is one call from the silo to the edge host (the default).</summary>
    Push,

    /// <summary>Orleans memory streams: a queue grain polled every <c>WsRooms:Streams:PullingPeriodMs</c>.</summary>
    Memory,

    /// <summary>Orleans Azure Queue streams: durable queues in the storage account, polled.</summary>
    AzureQueue,
}

/// <summary>The provider choices, parsed the same way by the silo and the edge host.</summary>
public static class ProviderSettings
{
    public const string ClusteringKey = "WsRooms:Clustering";
    public const string GrainStorageKey = "WsRooms:GrainStorage";
    public const string StreamsKey = "WsRooms:Streams:Provider";
    public const string QueueCountKey = "WsRooms:Streams:QueueCount";

    public static T ReadEnum<T>(IConfiguration configuration, string key, T fallback, List<string> problems)
        where T : struct, Enum
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (Enum.TryParse<T>(value.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _))
        {
            return parsed;
        }

        problems.Add($"{key} must be one of {string.Join(" | ", Enum.GetNames<T>())} (was '{value}').");
        return fallback;
    }

    /// <summary>
    /// The Azure queues of the edge streams: the same names on every silo and edge host of a service
    /// (lower case letters, digits and hyphens, as queue names must be).
    /// </summary>
    public static IReadOnlyList<string> QueueNames(string serviceId, int count)
    {
        var prefix = new string([.. serviceId.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        while (prefix.Contains("--", StringComparison.Ordinal))
        {
            prefix = prefix.Replace("--", "-", StringComparison.Ordinal); // queue names refuse consecutive hyphens
        }

        prefix = prefix.Trim('-');
        if (prefix.Length == 0)
        {
            prefix = "wsrooms";
        }

        if (prefix.Length > 40)
        {
            prefix = prefix[..40].Trim('-');
        }

        return [.. Enumerable.Range(0, count).Select(i => $"{prefix}-edge-{i}")];
    }
}
