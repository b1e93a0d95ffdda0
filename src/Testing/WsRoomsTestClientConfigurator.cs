using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.Streaming;

namespace WsRooms.Testing;

/// <summary>Lets the cluster client read the edge streams, and find the silos in the table when they keep membership there.</summary>
internal sealed class WsRoomsTestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
    {
        clientBuilder.AddPushStreams(EdgeStreams.ProviderName);
        if (configuration[WsRoomsTestSiloConfigurator.StorageKey] == nameof(WsRoomsTestStorage.AzureTable))
        {
            var connectionString = configuration[WsRoomsTestSiloConfigurator.AzureConnectionStringKey];
            clientBuilder.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connectionString));
        }
    }
}
