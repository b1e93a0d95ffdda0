using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Grains;
using WsRooms.Protocol;

namespace WsRooms.Edge.Delivery;

/// <summary>
/// Without root presence (<see cref="WsRoomsEdgeOptions.RootPresence"/>), every connection is in <c>root</c> without
/// the cluster hearing of it: the root room sends its broadcasts to each attached edge host instead, and the edge
/// hands them to all its connections. With root presence root is a room like any other, and this does nothing.
/// </summary>
internal sealed partial class RootRoomAttachment(
    IGrainFactory grains,
    EdgeIdentity identity,
    IOptions<WsRoomsEdgeOptions> options,
    ILogger<RootRoomAttachment> logger)
{
    private readonly WsRoomsEdgeOptions _options = options.Value;

    private IRoomGrain Root => grains.GetRoom(EventNames.RootRoom);

    /// <summary>From now on root's broadcasts reach this edge host. Safe to repeat.</summary>
    public Task AttachAsync() => _options.RootPresence ? Task.CompletedTask : Root.AttachEdgeAsync(identity.Id);

    /// <summary>Root's broadcasts no longer reach this edge host. A failure is only logged: the cluster detaches an edge host when its lease ends.</summary>
    public async Task DetachAsync(CancellationToken cancellationToken)
    {
        if (_options.RootPresence)
        {
            return;
        }

        try
        {
            await Root.DetachEdgeAsync(identity.Id).WaitAsync(_options.GrainCallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.DetachFailed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Could not detach this edge from root")]
        public static partial void DetachFailed(ILogger logger, Exception exception);
    }
}
