using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;

namespace WsRooms.Hosting.AzureStorage;

/// <summary>Creates the storage clients that <see cref="AzureStorageOptions"/> describe.</summary>
public static class AzureStorageClients
{
    /// <summary>A table service client: from the connection string when set, else the URI with <see cref="DefaultAzureCredential"/>.</summary>
    public static TableServiceClient CreateTableServiceClient(this AzureStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.HasConnectionString
            ? new TableServiceClient(options.ConnectionString)
            : new TableServiceClient(
                options.TableServiceUri ?? throw new InvalidOperationException($"{AzureStorageOptions.SectionName}:{nameof(options.TableServiceUri)} is not set."),
                CreateCredential(options));
    }

    /// <summary>How the logs name where storage is, without ever printing a key.</summary>
    public static string Describe(this AzureStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.HasConnectionString
            ? "connection string (" + DescribeConnectionString(options.ConnectionString!) + ")"
            : $"{options.TableServiceUri?.Host} with DefaultAzureCredential";
    }

    private static TokenCredential CreateCredential(AzureStorageOptions options) => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId.Trim(),
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

        return connectionString.Trim().StartsWith("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase) ? "development storage" : "account";
    }
}
