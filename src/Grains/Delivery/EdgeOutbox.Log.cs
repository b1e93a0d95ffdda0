using Microsoft.Extensions.Logging;

namespace WsRooms.Grains.Delivery;

internal sealed partial class EdgeOutbox
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Edge {EdgeId}: queue full ({Capacity}); dropped {Count} deliveries since the last warning")]
        public static partial void QueueFull(ILogger logger, string edgeId, long count, int capacity);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Edge {EdgeId}: publishing a batch failed, retrying (attempt {Attempt} of {Retries} retries)")]
        public static partial void PublishRetry(ILogger logger, Exception exception, string edgeId, int attempt, int retries);

        [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Edge {EdgeId}: dropped a batch of {Count} deliveries after {Attempts} attempts")]
        public static partial void BatchDropped(ILogger logger, Exception exception, string edgeId, int count, int attempts);

        [LoggerMessage(EventId = 6005, Level = LogLevel.Debug, Message = "Edge {EdgeId}: queue released after being idle")]
        public static partial void QueueReleased(ILogger logger, string edgeId);

        [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Edge {EdgeId}: publisher loop failed")]
        public static partial void DrainLoopFailed(ILogger logger, Exception exception, string edgeId);

        [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Edge {EdgeId}: dropped {Count} deliveries at shutdown")]
        public static partial void DroppedAtShutdown(ILogger logger, string edgeId, int count);

        [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Shutdown stopped waiting for {Queues} edge queues to flush after {Timeout}")]
        public static partial void ShutdownFlushAbandoned(ILogger logger, int queues, TimeSpan timeout);

        [LoggerMessage(EventId = 6009, Level = LogLevel.Error, Message = "A delivery without an edge id ({EdgeId}) or without content was dropped")]
        public static partial void InvalidPost(ILogger logger, string? edgeId);

        [LoggerMessage(EventId = 6010, Level = LogLevel.Error, Message = "Edge {EdgeId}: dropped a {Room}/{Event} delivery of about {Size} bytes, over the {MaxBatchBytes}-byte batch limit")]
        public static partial void DeliveryTooLarge(ILogger logger, string edgeId, string room, string @event, long size, int maxBatchBytes);
    }
}
