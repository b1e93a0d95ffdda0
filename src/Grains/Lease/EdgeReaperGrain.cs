using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.Lease;

/// <summary>Closes what a lapsed edge host left open. Keyed by the edge id. Infrastructure; not for application code.</summary>
public interface IEdgeReaperGrain : IGrainWithStringKey
{
    /// <summary>Closes what process <paramref name="instance"/> of the edge left open, then tells <paramref name="directory"/>.</summary>
    [OneWay]
    Task ExpireAsync(string instance, IEdgeDirectoryCallback directory);
}

/// <summary>
/// Reads the connections listed under the edge (<see cref="RowPartitions.EdgeConnections"/>) and closes each one
/// through its <see cref="IConnectionGrain"/> (it leaves every room; the others get <c>member_left</c>), or suspends it
/// when it is a v2 session (<see cref="IConnectionGrain.EdgeLostAsync"/>: it ends after its grace period unless
/// resumed on another edge host), detaches the edge from root, then tells the directory.
/// </summary>
internal sealed partial class EdgeReaperGrain(
    IRowStore store,
    IOptions<EdgeDirectoryOptions> options,
    ILogger<EdgeReaperGrain> logger) : Grain, IEdgeReaperGrain
{
    public async Task ExpireAsync(string instance, IEdgeDirectoryCallback directory)
    {
        var edgeId = this.GetPrimaryKeyString();
        var succeeded = false;
        try
        {
            var partition = RowPartitions.EdgeConnections(edgeId);
            var connections = await store.ReadPartitionAsync(partition);
            var failed = 0;
            await Parallel.ForEachAsync(
                connections,
                new ParallelOptions { MaxDegreeOfParallelism = options.Value.CloseConcurrency, TaskScheduler = TaskScheduler.Current },
                async (row, _) =>
                {
                    try
                    {
                        // A v1 connection closes; a v2 session is suspended for its grace period, to resume elsewhere.
                        await GrainFactory.GetGrain<IConnectionGrain>(row.Row).EdgeLostAsync(edgeId);
                    }
                    catch (Exception e)
                    {
                        Interlocked.Increment(ref failed);
                        Log.CloseFailed(logger, e, edgeId, row.Row);
                    }
                });

            await GrainFactory.GetGrain<IRoomGrain>(EventNames.RootRoom).DetachEdgeAsync(edgeId);
            if (failed == 0)
            {
                // Connections that closed removed their own rows; what is left never opened fully, or is a suspended session,
            // which its grace timer ends.
                await store.DeletePartitionAsync(partition);
                succeeded = true;
            }

            Log.Reaped(logger, edgeId, connections.Count - failed, failed);
        }
        catch (Exception e)
        {
            Log.ExpireFailed(logger, e, edgeId);
        }
        finally
        {
            DeactivateOnIdle();
        }

        await directory.ExpiryFinishedAsync(edgeId, instance, succeeded);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Edge {EdgeId}: closed or suspended {Closed} connections it left open ({Failed} failed)")]
        public static partial void Reaped(ILogger logger, string edgeId, int closed, int failed);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Edge {EdgeId}: closing connection {ConnectionId} failed; the next sweep tries again")]
        public static partial void CloseFailed(ILogger logger, Exception exception, string edgeId, string connectionId);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Edge {EdgeId}: expiring failed; the next sweep tries again")]
        public static partial void ExpireFailed(ILogger logger, Exception exception, string edgeId);
    }
}
