using Microsoft.Extensions.Logging;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

internal sealed partial class EdgeConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed with {CloseStatus} ({Reason})")]
        public static partial void Closed(ILogger logger, string connectionId, int closeStatus, string reason);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connection {ConnectionId} sent a malformed frame: {Error}")]
        public static partial void MalformedFrame(ILogger logger, string connectionId, FrameError error);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Connection {ConnectionId} dropped: its send queue of {Capacity} frames overflowed (slow consumer)")]
        public static partial void SlowConsumer(ILogger logger, string connectionId, int capacity);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Frame from {ConnectionId} to room {Room}, event {Event} was dropped: the cluster call failed")]
        public static partial void DispatchFailed(ILogger logger, string connectionId, string room, string @event, Exception exception);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Connection {ConnectionId} could not leave its rooms in the cluster")]
        public static partial void LeaveFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed with 1008: over its message or byte rate")]
        public static partial void RateLimited(ILogger logger, string connectionId);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "Sending to connection {ConnectionId} failed")]
        public static partial void SendFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "The session of v2 connection {ConnectionId} could not be opened in the cluster")]
        public static partial void SessionOpenFailed(ILogger logger, string connectionId, Exception exception);
    }
}
