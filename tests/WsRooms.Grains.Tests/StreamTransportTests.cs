using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.TestingHost;
using WsRooms.Delivery;
using WsRooms.Hosting;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// The transports a deployment can choose instead of the default push streams (WsRooms:Streams:Provider): Orleans
/// memory streams and Azure Queue streams (on Azurite). The outbox is the same for all of them; each test runs a
/// one-silo cluster with that provider on both ends and checks that numbered messages to a connection reach its
/// subscribed edge, all of them and in order.
/// </summary>
public sealed class StreamTransportTests
{
    private const string TransportKey = "WsRoomsTests:Transport";
    private const string QueueConnectionKey = "WsRoomsTests:QueueConnectionString";

    [Theory]
    [InlineData("Memory")]
    [InlineData("AzureQueue")]
    public async Task DeliveriesReachTheEdgeInOrder(string transport)
    {
        await using var azurite = transport == "AzureQueue" ? await Azurite.StartAsync() : null;
        var builder = new TestClusterBuilder(1);
        builder.Properties[TransportKey] = transport;
        builder.Properties[QueueConnectionKey] = azurite?.ConnectionString ?? "";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            await using var edge = await FakeEdge.StartAsync(cluster.Client);
            var connection = TestNames.Connection();
            await cluster.GrainFactory.GetConnection(connection).OpenAsync(edge.Id, new Dictionary<string, string>());

            // A subscription on a polled stream becomes effective asynchronously: send until the first one arrives.
            await Poll.UntilAsync(async () =>
            {
                await cluster.GrainFactory.GetConnection(connection).SendAsync(Message.FromText("lobby", "hello", connection, "t", "first"));
                return edge.Received.Count > 0;
            }, TimeSpan.FromSeconds(30), $"the first delivery over {transport} streams");

            for (var i = 0; i < 20; i++)
            {
                await cluster.GrainFactory.GetConnection(connection).SendAsync(Message.FromText("lobby", "n", connection, "t", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            var last = await edge.WaitForAsync(d => d.Message.Event == "n" && d.Message.PayloadText == "19", TimeSpan.FromSeconds(30));
            var numbered = edge.Before(last).Append(last).Where(d => d.Message.Event == "n").Select(d => d.Message.PayloadText).ToArray();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), numbered);
            Assert.All(edge.Received, d => Assert.Equal(connection, d.Connection));

            if (azurite is not null)
            {
                // It really went through the storage account: the provider made its queues there.
                var queues = new List<string>();
                await foreach (var queue in new QueueServiceClient(azurite.ConnectionString).GetQueuesAsync())
                {
                    queues.Add(queue.Name);
                }

                Assert.Subset(queues.ToHashSet(), QueueNames.ToHashSet());
            }
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static bool IsAzureQueue(IConfiguration configuration) => configuration[TransportKey] == "AzureQueue";

    private static QueueServiceClient QueueClient(IConfiguration configuration) => new(configuration[QueueConnectionKey]);

    private static readonly string[] QueueNames = ["wsrooms-transport-test-0", "wsrooms-transport-test-1"];

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddWsRooms().AddWsRoomsMemoryStorage();
            if (IsAzureQueue(siloBuilder.Configuration))
            {
                var configuration = siloBuilder.Configuration;
                siloBuilder.AddWsRoomsAzureQueueStreams(() => QueueClient(configuration), QueueNames, TimeSpan.FromMilliseconds(50));
            }
            else
            {
                siloBuilder.AddWsRoomsMemoryStreams();
            }
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            if (IsAzureQueue(configuration))
            {
                clientBuilder.AddAzureQueueStreams(EdgeStreams.ProviderName, (Microsoft.Extensions.Options.OptionsBuilder<AzureQueueOptions> queues) => queues.Configure(q =>
                {
                    q.QueueServiceClient = QueueClient(configuration);
                    q.QueueNames = [.. QueueNames];
                }));
            }
            else
            {
                clientBuilder.AddMemoryStreams(EdgeStreams.ProviderName);
            }
        }
    }
}
