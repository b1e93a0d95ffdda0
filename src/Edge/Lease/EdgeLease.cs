using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Delivery;
using WsRooms.Grains;

namespace WsRooms.Edge.Lease;

/// <summary>
/// This edge host's lease with the cluster's <see cref="IEdgeDirectoryGrain"/>: acquired before the edge takes
/// connections, renewed every <see cref="EdgeLeaseOptions.EffectiveRenewInterval"/>, and released on a graceful stop
/// (<see cref="Hosting.EdgeLifecycle"/> calls each step). Should the cluster have let the lease lapse (this edge was
/// cut off for longer than the lease), the cluster has already closed this edge's connections: their sockets are
/// closed here too, with 1012 (service restart), so the clients reconnect instead of talking into rooms that no
/// longer list them.
/// </summary>
internal sealed partial class EdgeLease(
    IClusterClient client,
    EdgeIdentity identity,
    ConnectionRegistry registry,
    RootRoomAttachment root,
    IOptions<EdgeLeaseOptions> leaseOptions,
    IOptions<WsRoomsEdgeOptions> edgeOptions,
    ILogger<EdgeLease> logger) : IAsyncDisposable
{
    /// <summary>RFC 6455 1012, "service restart": the client should reconnect.</summary>
    internal const WebSocketCloseStatus LeaseLostCloseStatus = (WebSocketCloseStatus)1012;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly EdgeLeaseOptions _options = leaseOptions.Value;
    private readonly CancellationTokenSource _stop = new();

    // Fresh per process start: a restarted edge with a configured id is told apart from its predecessor.
    private readonly string _instance = Guid.NewGuid().ToString("N");

    // Orleans holds observers weakly: this field keeps the lookup alive as long as the lease.
    private readonly EdgeConnectionLookup _lookup = new(registry);
    private IEdgeConnectionLookup? _lookupReference;
    private Task _renewing = Task.CompletedTask;

    private IEdgeDirectoryGrain Directory => client.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key);

    /// <summary>
    /// Registers the lease (waiting out a predecessor under the same edge id that the cluster is still expiring),
    /// then starts renewing it.
    /// </summary>
    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        _lookupReference = client.CreateObjectReference<IEdgeConnectionLookup>(_lookup);
        var deadline = DateTime.UtcNow + (2 * _options.Duration) + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var status = await RenewAsync().WaitAsync(_options.Duration, cancellationToken).ConfigureAwait(false);
                if (status != EdgeLeaseStatus.Expiring)
                {
                    break;
                }

                // A predecessor with the same edge id is being expired; its connections go first.
            }
            catch (Exception e) when (e is not OperationCanceledException && DateTime.UtcNow < deadline)
            {
                Log.RenewFailed(logger, e, identity.Id);
            }

            await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
        }

        Log.Registered(logger, identity.Id, _options.Duration, _options.EffectiveRenewInterval);
        _renewing = Task.Run(() => RenewLoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Stops renewing and gives the lease up, so the cluster need not wait for it to lapse.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await Directory.ReleaseAsync(identity.Id, _instance).WaitAsync(edgeOptions.Value.GrainCallTimeout, cancellationToken).ConfigureAwait(false);
            Log.Released(logger, identity.Id);
        }
        catch (Exception e)
        {
            // The lease then lapses by itself.
            Log.ReleaseFailed(logger, e, identity.Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        if (_lookupReference is not null)
        {
            client.DeleteObjectReference<IEdgeConnectionLookup>(_lookupReference);
        }
    }

    /// <summary>Each renewal also says how the cluster reaches this edge's connections: their tag and the lookup.</summary>
    private Task<EdgeLeaseStatus> RenewAsync() =>
        Directory.RenewAsync(identity.Id, _instance, _options.Duration, identity.Tag, _lookupReference!);

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var interval = _options.EffectiveRenewInterval;
        // A renewal may be slow while a silo is being declared dead (its gateway still gets calls): wait up to half
        // the lease for it rather than abandon it after one interval.
        var callTimeout = interval > _options.Duration / 2 ? interval : _options.Duration / 2;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = interval;
            try
            {
                var status = await RenewAsync().WaitAsync(callTimeout, cancellationToken).ConfigureAwait(false);
                if (status != EdgeLeaseStatus.Renewed)
                {
                    await OnLeaseLostAsync(status).ConfigureAwait(false);
                    if (status == EdgeLeaseStatus.Expiring)
                    {
                        wait = RetryDelay;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A silo died or the cluster is unreachable: keep the sockets and try again; the directory decides.
                Log.RenewFailed(logger, e, identity.Id);
                wait = RetryDelay < interval ? RetryDelay : interval;
            }

            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task OnLeaseLostAsync(EdgeLeaseStatus status)
    {
        var connections = registry.Connections.ToArray();
        Log.LeaseLost(logger, identity.Id, status, connections.Length);
        foreach (var connection in connections)
        {
            connection.BeginClose(LeaseLostCloseStatus, "lease lost: reconnect", suspends: true);
        }

        if (status == EdgeLeaseStatus.Registered)
        {
            try
            {
                // The expiry detached this edge from root; new connections must hear root broadcasts again.
                await root.AttachAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.RenewFailed(logger, e, identity.Id);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Edge {EdgeId} holds its lease ({Duration}, renewed every {Interval})")]
        public static partial void Registered(ILogger logger, string edgeId, TimeSpan duration, TimeSpan interval);

        [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Edge {EdgeId}: renewing the lease failed; retrying")]
        public static partial void RenewFailed(ILogger logger, Exception exception, string edgeId);

        [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Edge {EdgeId}: the cluster let the lease lapse ({Status}); closing {Count} connections with 1012 so their clients reconnect")]
        public static partial void LeaseLost(ILogger logger, string edgeId, EdgeLeaseStatus status, int count);

        [LoggerMessage(EventId = 1403, Level = LogLevel.Information, Message = "Edge {EdgeId} released its lease")]
        public static partial void Released(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Edge {EdgeId}: could not release the lease; it lapses by itself")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception, string edgeId);
    }
}

