using Microsoft.Extensions.Logging;
using WsRooms.Hosting;
using WsRooms.Silo.Configuration;

/// <summary>The silo process: its configuration read and checked, then Orleans with WsRooms' grains.</summary>
internal sealed partial class Program
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Starting silo: cluster {ClusterId}, silo port {SiloPort}, gateway port {GatewayPort}, primary silo port {PrimarySiloPort} (0 = this one)")]
        public static partial void Starting(ILogger logger, string clusterId, int siloPort, int gatewayPort, int primarySiloPort);

        [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Providers: clustering {Clustering}, grain storage {GrainStorage}, push streams; Azure storage: {Storage}")]
        public static partial void Providers(ILogger logger, ClusteringProvider clustering, GrainStorageProvider grainStorage, string storage);

        [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Silo stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
