using Azure.Data.Tables;

namespace WsRooms.Grains.Storage;

/// <summary>
/// Creates a store's Azure table on first use, once, for every caller at the same time. A creation that failed
/// (storage unreachable at start) is tried again by the next caller instead of failing every later call.
/// </summary>
internal sealed class TableCreation(TableClient table, Action<Exception> onFailed)
{
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Completes when the table exists; faults (and reports through the callback) when it could not be made.</summary>
    public Task EnsureAsync()
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = CreateAsync();
            }

            return _created;
        }
    }

    private async Task CreateAsync()
    {
        try
        {
            await table.CreateIfNotExistsAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            onFailed(e);
            throw;
        }
    }
}
