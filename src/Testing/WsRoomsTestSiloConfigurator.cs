using Azure.Data.Tables;
using Orleans.TestingHost;
using WsRooms.Grains.Hosting;

namespace WsRooms.Testing;

/// <summary>Adds WsRooms and the storage the builder chose to every silo; the choice arrives through configuration.</summary>
internal sealed class WsRoomsTestSiloConfigurator : ISiloConfigurator
{
    /// <summary>The configuration key of the <see cref="WsRoomsTestStorage"/> choice.</summary>
    public const string StorageKey = "WsRoomsTesting:Storage";

    /// <summary>The configuration key of the Azure storage connection string.</summary>
    public const string AzureConnectionStringKey = "WsRoomsTesting:AzureConnectionString";

    public void Configure(ISiloBuilder siloBuilder)
    {
        if (Enum.Parse<WsRoomsTestStorage>(siloBuilder.Configuration[StorageKey] ?? nameof(WsRoomsTestStorage.Memory)) == WsRoomsTestStorage.Memory)
        {
            siloBuilder.AddWsRooms().AddWsRoomsMemoryProviders();
            return;
        }

        var connectionString = siloBuilder.Configuration[AzureConnectionStringKey]!;
        siloBuilder
            .UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connectionString))
            .AddWsRooms()
            .AddWsRoomsPushStreams()
            .AddWsRoomsAzureTableStorage(() => new TableServiceClient(connectionString));
    }
}
