using Microsoft.Extensions.Options;

namespace WsRooms.Hosting.AzureStorage;

/// <summary>
/// How a WsRooms process reaches Azure Storage (section <c>WsRooms:Azure</c>), the same on the silo and the edge
/// host: either a connection string (Azurite, or a key kept in a secret store and passed in the environment), or
/// the account's table service URI with <c>DefaultAzureCredential</c> (managed identity on Azure). No secret is
/// ever in the repository: a connection string arrives through the environment or the command line.
/// </summary>
public sealed class AzureStorageOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms:Azure";

    /// <summary><c>WsRooms:Azure:ConnectionString</c>: takes precedence over the URI when set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>WsRooms:Azure:TableServiceUri</c>, e.g. <c>https://ACCOUNT.table.core.windows.net</c>.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>
    /// <c>WsRooms:Azure:ManagedIdentityClientId</c>: the client id of a user-assigned managed identity; empty for a
    /// system-assigned one.
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Whether a connection string is set (blank counts as unset: often an empty shell variable).</summary>
    public bool HasConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>
/// Checks <see cref="AzureStorageOptions"/>: a service URI must be absolute http(s), and when a provider needs the
/// account (<paramref name="requiredBecause"/> says which, e.g. "WsRooms:Clustering is AzureStorage"), a connection
/// string or a table service URI must be set.
/// </summary>
/// <param name="requiredBecause">Why the account is needed, naming the keys that chose it; null when nothing needs it.</param>
public sealed class AzureStorageOptionsValidator(string? requiredBecause) : IValidateOptions<AzureStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AzureStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = AzureStorageOptions.SectionName;
        var failures = new List<string>();
        if (options.TableServiceUri is { } uri && !(uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            failures.Add($"{Section}:{nameof(options.TableServiceUri)} must be an absolute http(s) URI (was '{uri.OriginalString}').");
        }
        else if (requiredBecause is not null && !options.HasConnectionString && options.TableServiceUri is null)
        {
            failures.Add($"{Section}:{nameof(options.ConnectionString)} or {Section}:{nameof(options.TableServiceUri)} must be set ({requiredBecause}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
