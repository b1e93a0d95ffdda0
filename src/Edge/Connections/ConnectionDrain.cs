using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// A graceful stop's first step: every connection is closed with 1001 (going away), and the stop waits, up to
/// <see cref="WsRoomsEdgeOptions.DrainTimeout"/>, until each has ended and left its rooms, so the others in them get
/// member_left at once rather than when the edge's lease runs out.
/// </summary>
internal sealed partial class ConnectionDrain(
    ConnectionRegistry registry,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<ConnectionDrain> logger)
{
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var connections = registry.Connections.ToArray();
        Log.Draining(logger, connections.Length);
        foreach (var connection in connections)
        {
            connection.BeginClose(CloseCodes.ShuttingDown, "server shutting down", suspends: true);
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.Ended)).WaitAsync(options.Value.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Log.DrainTimedOut(logger, connections.Count(c => !c.Ended.IsCompleted));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Draining: closing {Count} connections with 1001")]
        public static partial void Draining(ILogger logger, int count);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Drain timed out with {Count} connections still closing")]
        public static partial void DrainTimedOut(ILogger logger, int count);
    }
}
