using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WsRooms.Grains.Lease;

/// <summary>
/// Makes sure the edge directory is active, from every silo, every <see cref="EdgeDirectoryOptions.DirectoryKeepAlive"/>.
/// Live edge hosts renew often enough to keep it active, but when its silo dies together with every edge host
/// nobody would call it again, and the dead edges' connections would stay members of their rooms until an edge host
/// came back. Reactivated, it reloads the edges it knew and sweeps their lapsed leases as usual.
/// </summary>
internal sealed partial class EdgeDirectoryKeepAlive(
    IGrainFactory grains,
    IOptions<EdgeDirectoryOptions> options,
    ILogger<EdgeDirectoryKeepAlive> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EdgeDirectoryKeepAlive), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        // On the default scheduler: this is a background loop, not a turn of any grain.
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(options.Value.DirectoryKeepAlive);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await grains.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).GetLiveEdgesAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    // A silo is being declared dead, or the cluster is stopping: the next tick tries again.
                    Log.KeepAliveFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the silo is stopping
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "The edge directory keep-alive call failed; trying again next period")]
        public static partial void KeepAliveFailed(ILogger logger, Exception exception);
    }
}
