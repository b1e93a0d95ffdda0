using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Lease;

/// <summary>
/// Keeps this edge host's lease with the cluster's <see cref="IEdgeDirectoryGrain"/>: registers it before the edge
/// takes connections, renews it every <see cref="EdgeLeaseOptions.EffectiveRenewInterval"/>, and releases it on a
/// graceful stop. Should the cluster have let the lease lapse (this edge was cut off for longer than the lease),
/// the cluster has already closed this edge's connections: their sockets are closed here too, with 1012 (service
/// restart), so the clients reconnect instead of talking into rooms that no longer list them.
/// </summary>
internal sealed partial class EdgeLeaseService(
    IClusterClient client,
    EdgeIdentity identity,
    ConnectionRegistry registry,
    IOptions<EdgeLeaseOptions> leaseOptions,
    IOptions<WsRoomsEdgeOptions> edgeOptions,
    ILogger<EdgeLeaseService> logger) : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>RFC 6455 1012, "service restart": the client should reconnect.</summary>
    internal const WebSocketCloseStatus LeaseLostCloseStatus = (WebSocketCloseStatus)1012;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly EdgeLeaseOptions _options = leaseOptions.Value;
    private readonly CancellationTokenSource _stop = new();

    // Orleans holds observers weakly: this field keeps the lookup alive as long as the lease.
    private readonly EdgeConnectionLookup _lookup = new(registry);
    private IEdgeConnectionLookup? _lookupReference;
    private Task _renewing = Task.CompletedTask;
    private int _disposed;

    /// <summary>Fresh per process start: a restarted edge with a configured id is told apart from its predecessor.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    private IEdgeDirectoryGrain Directory => client.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Registered before the stream subscriber (which opens the edge to clients), so no connection exists before the
    /// cluster knows whose lease covers it.
    /// </summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
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

    /// <summary>Runs after the subscriber has drained (stopping goes in reverse order): give the lease up.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await Directory.ReleaseAsync(identity.Id, Instance).WaitAsync(edgeOptions.Value.GrainCallTimeout, cancellationToken).ConfigureAwait(false);
            Log.Released(logger, identity.Id);
        }
        catch (Exception e)
        {
            // The lease then lapses by itself.
            Log.ReleaseFailed(logger, e, identity.Id);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Disposed once per registration that resolved it (itself and the hosted service): only the first counts.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

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
        Directory.RenewAsync(identity.Id, Instance, _options.Duration, identity.Tag, _lookupReference!);

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
            connection.BeginClose(LeaseLostCloseStatus, "lease lost: reconnect");
        }

        if (status == EdgeLeaseStatus.Registered && !edgeOptions.Value.RootPresence)
        {
            try
            {
                // The expiry detached this edge from root; new connections must hear root broadcasts again.
                await client.GetRoom(EventNames.RootRoom).AttachEdgeAsync(identity.Id).ConfigureAwait(false);
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

/// <summary>Registration of the lease, called from <see cref="WsRoomsServiceCollectionExtensions.AddWsRooms"/>.</summary>
internal static class EdgeLeaseServiceCollectionExtensions
{
    /// <summary>Must come before the stream subscriber's hosted service: see <see cref="EdgeLeaseService.StartedAsync"/>.</summary>
    public static IServiceCollection AddEdgeLease(this IServiceCollection services)
    {
        services.AddOptions<EdgeLeaseOptions>().BindConfiguration(EdgeLeaseOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeLeaseOptions>, EdgeLeaseOptionsValidator>());
        services.AddSingleton<EdgeLeaseService>();
        services.AddHostedService(sp => sp.GetRequiredService<EdgeLeaseService>());
        return services;
    }
}
