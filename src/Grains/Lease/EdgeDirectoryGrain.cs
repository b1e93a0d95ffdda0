using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Grains.Storage;

namespace WsRooms.Grains.Lease;

/// <summary>
/// Holds every edge host's lease. Renewals only touch memory; the set of known edges (id, instance, lease) is stored,
/// one row each, so that a directory reactivated after its silo died still expires edges that died meanwhile.
/// It also knows each live edge's tag and lookup (<see cref="ConnectionIds"/>), which connection grains ask for
/// through <see cref="ResolveAsync"/>, each silo remembering the answers for a moment (<see cref="Connections.EdgeRoutes"/>).
/// </summary>
/// <remarks>
/// Not reentrant, and no turn waits on anything slow: closing a lapsed edge's connections is handed to that edge's
/// <see cref="IEdgeReaperGrain"/> (one-way), which reports back. Were it done here, renewals from live edges would
/// queue behind it and could themselves look lapsed.
/// </remarks>
internal sealed partial class EdgeDirectoryGrain(
    IRowStore store,
    IOptions<EdgeDirectoryOptions> options,
    TimeProvider time,
    ILogger<EdgeDirectoryGrain> logger) : Grain, IEdgeDirectoryGrain, IEdgeDirectoryCallback
{
    private readonly Dictionary<string, Entry> _edges = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _edgesByTag = [];
    private readonly EdgeDirectoryOptions _options = options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        foreach (var row in await store.ReadPartitionAsync(RowPartitions.EdgeDirectory, cancellationToken))
        {
            if (TryParse(row.Value, out var instance, out var lease))
            {
                // What happened while nobody watched is unknown: every known edge gets one full lease to renew.
                _edges[row.Row] = new Entry(instance, lease) { LastRenewed = now };
            }
        }

        if (_edges.Count > 0)
        {
            Log.Reloaded(logger, _edges.Count);
        }

        // KeepAlive: the sweep must go on while no edge renews (they may all have died at once).
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions(_options.SweepInterval, _options.SweepInterval) { KeepAlive = true });
    }

    public async Task<EdgeLeaseStatus> RenewAsync(string edgeId, string instance, TimeSpan lease, long edgeTag, IEdgeConnectionLookup lookup)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        ArgumentException.ThrowIfNullOrEmpty(instance);
        ArgumentNullException.ThrowIfNull(lookup);
        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "The lease must be positive.");
        }

        if (edgeTag <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(edgeTag), edgeTag, "An edge tag is positive (ConnectionIds.NewEdgeTag).");
        }

        if (_edges.TryGetValue(edgeId, out var entry))
        {
            if (entry.Expiring)
            {
                return EdgeLeaseStatus.Expiring;
            }

            if (entry.Instance == instance)
            {
                entry.LastRenewed = time.GetTimestamp();
                SetRoute(edgeId, entry, edgeTag, lookup);
                if (entry.Lease != lease)
                {
                    entry.Lease = lease;
                    await store.UpsertAsync(RowPartitions.EdgeDirectory, edgeId, Format(instance, lease));
                }

                return EdgeLeaseStatus.Renewed;
            }

            // The same edge id from a new process (a configured EdgeId, restarted): its predecessor is gone, and its
            // connections must be closed before the new one registers theirs under the same id.
            Log.Replaced(logger, edgeId, entry.Instance, instance);
            StartExpiry(edgeId, entry);
            return EdgeLeaseStatus.Expiring;
        }

        await store.UpsertAsync(RowPartitions.EdgeDirectory, edgeId, Format(instance, lease));
        var added = new Entry(instance, lease) { LastRenewed = time.GetTimestamp() };
        _edges[edgeId] = added;
        SetRoute(edgeId, added, edgeTag, lookup);
        Log.Registered(logger, edgeId, lease);
        return EdgeLeaseStatus.Registered;
    }

    public Task<EdgeRoute?> ResolveAsync(long edgeTag) =>
        Task.FromResult(_edgesByTag.TryGetValue(edgeTag, out var edgeId)
            && _edges.TryGetValue(edgeId, out var entry)
            && !entry.Expiring
            && entry.Tag == edgeTag
            && entry.Lookup is { } lookup
                ? new EdgeRoute(edgeId, lookup)
                : null);

    public Task ReleaseAsync(string edgeId, string instance)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (_edges.TryGetValue(edgeId, out var entry) && entry.Instance == instance && !entry.Expiring)
        {
            Log.Released(logger, edgeId);
            StartExpiry(edgeId, entry);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetLiveEdgesAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _edges.Where(e => !e.Value.Expiring).Select(e => e.Key)]);

    public async Task ExpiryFinishedAsync(string edgeId, string instance, bool succeeded)
    {
        if (!_edges.TryGetValue(edgeId, out var entry) || entry.Instance != instance)
        {
            return;
        }

        if (!succeeded)
        {
            // Some connections could not be closed: the next sweep tries again (the lease is still lapsed).
            entry.Expiring = false;
            return;
        }

        await store.DeleteAsync(RowPartitions.EdgeDirectory, edgeId);
        _edges.Remove(edgeId);
        if (entry.Tag != 0)
        {
            _edgesByTag.Remove(entry.Tag);
        }

        Log.Expired(logger, edgeId);
    }

    /// <summary>
    /// Not stored: a reactivated directory learns each edge's tag and lookup again at its next renewal (an observer
    /// reference is only good while its edge host is connected anyway).
    /// </summary>
    private void SetRoute(string edgeId, Entry entry, long edgeTag, IEdgeConnectionLookup lookup)
    {
        if (entry.Tag != 0 && entry.Tag != edgeTag)
        {
            _edgesByTag.Remove(entry.Tag);
        }

        entry.Tag = edgeTag;
        entry.Lookup = lookup;
        _edgesByTag[edgeTag] = edgeId;
    }

    private Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        foreach (var (edgeId, entry) in _edges.ToArray())
        {
            if (entry.Expiring)
            {
                if (time.GetElapsedTime(entry.ExpiryStarted, now) > _options.ExpiryRetryAfter)
                {
                    StartExpiry(edgeId, entry); // its reaper's silo died before reporting back
                }

                continue;
            }

            var silent = time.GetElapsedTime(entry.LastRenewed, now);
            if (silent > entry.Lease)
            {
                Log.Lapsed(logger, edgeId, silent, entry.Lease);
                StartExpiry(edgeId, entry);
            }
        }

        return Task.CompletedTask;
    }

    private void StartExpiry(string edgeId, Entry entry)
    {
        entry.Expiring = true;
        entry.ExpiryStarted = time.GetTimestamp();
        // One-way: the reaper reports back through ExpiryFinishedAsync; this turn does not wait for it.
        GrainFactory.GetGrain<IEdgeReaperGrain>(edgeId).ExpireAsync(entry.Instance, this.AsReference<IEdgeDirectoryCallback>()).Ignore();
    }

    private static string Format(string instance, TimeSpan lease) =>
        instance + "|" + ((long)lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static bool TryParse(string value, out string instance, out TimeSpan lease)
    {
        var bar = value.LastIndexOf('|');
        if (bar > 0 && long.TryParse(value.AsSpan(bar + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            instance = value[..bar];
            lease = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        instance = "";
        lease = default;
        return false;
    }

    private sealed class Entry(string instance, TimeSpan lease)
    {
        public string Instance { get; } = instance;

        public TimeSpan Lease { get; set; } = lease;

        public long LastRenewed { get; set; }

        public bool Expiring { get; set; }

        public long ExpiryStarted { get; set; }

        public long Tag { get; set; }

        public IEdgeConnectionLookup? Lookup { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Edge {EdgeId} registered, lease {Lease}")]
        public static partial void Registered(ILogger logger, string edgeId, TimeSpan lease);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Edge {EdgeId}: no renewal for {Silent} (lease {Lease}); closing its connections")]
        public static partial void Lapsed(ILogger logger, string edgeId, TimeSpan silent, TimeSpan lease);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Edge {EdgeId} expired: its connections are closed and it is detached from root")]
        public static partial void Expired(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Edge {EdgeId} released its lease")]
        public static partial void Released(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Edge {EdgeId}: instance {NewInstance} replaces {OldInstance}; closing the old one's connections first")]
        public static partial void Replaced(ILogger logger, string edgeId, string oldInstance, string newInstance);

        [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Edge directory reactivated with {Count} known edges; each has one lease to renew")]
        public static partial void Reloaded(ILogger logger, int count);
    }
}
