using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using WsRooms.Connections;
using WsRooms.Delivery;
using WsRooms.Lease;
using WsRooms.Storage;
using WsRooms.Streaming;

namespace WsRooms.Hosting;

/// <summary>Adds WsRooms to an Orleans silo.</summary>
public static class WsRoomsSiloBuilderExtensions
{
    /// <summary>The default pulling period of the edge streams: latency to the edge is about one period.</summary>
    public static readonly TimeSpan DefaultPullingPeriod = TimeSpan.FromMilliseconds(2);

    /// <summary>Stream events the pulling agent hands a consumer at once (Orleans' default is 1).</summary>
    public const int DefaultBatchContainerBatchSize = 32;

    /// <summary>The key under which the Azure <see cref="TableServiceClient"/> of WsRooms' own rows is registered.</summary>
    public const string TableServiceKey = "wsrooms";

    /// <summary>
    /// The most one edge batch may carry on Azure Queue streams: a queue message holds 64 KiB, base64-encoded
    /// (48 KiB of data), and the serialized batch carries more than the frames the outbox counts.
    /// </summary>
    public const int AzureQueueMaxBatchBytes = 30 * 1024;

    /// <summary>Azure queues the edge streams are spread over by default.</summary>
    public const int DefaultAzureQueueCount = 8;

    /// <summary>
    /// Registers what the room and connection grains need: the edge outbox (the one path from a grain to an edge
    /// host's stream) and its options, validated at start. Does not choose providers: the silo must also register
    /// the stream provider <see cref="EdgeStreams.ProviderName"/> and the grain storages
    /// <see cref="WsRoomsStorage.Name"/> and <see cref="WsRoomsStorage.PubSubStore"/>
    /// (e.g. with <see cref="AddWsRoomsMemoryProviders"/>).
    /// </summary>
    public static ISiloBuilder AddWsRooms(this ISiloBuilder builder, Action<EdgeOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        var options = services.AddOptions<EdgeOutboxOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // Calling this twice adds the second configuration; the components themselves are registered once.
        if (services.Any(d => d.ServiceType == typeof(EdgeOutbox)))
        {
            return builder;
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<EdgeOutboxOptions>, EdgeOutboxOptionsValidator>();

        services.AddSingleton<EdgeOutbox>();
        services.AddSingleton<IEdgeOutbox>(sp => sp.GetRequiredService<EdgeOutbox>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EdgeOutbox>());

        // Edge-host leases: the directory and reapers read their settings here (the lease itself is the edge's).
        services.AddOptions<EdgeLeaseOptions>().BindConfiguration(EdgeLeaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, EdgeDirectoryKeepAlive>();
        services.AddSingleton<IValidateOptions<EdgeLeaseOptions>, EdgeLeaseOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EdgeRoutes>();

        // Membership rows: in memory unless a durable store replaces it (AddWsRoomsAzureTableStorage).
        services.TryAddSingleton<IRowStore, MemoryRowStore>();
        return builder;
    }

    /// <summary>
    /// Push streams named <see cref="EdgeStreams.ProviderName"/>, the default transport to the edge hosts: the outbox's
    /// publish is one call to the edge's subscriber, with no queue or pulling agent in between (see
    /// <see cref="PushStreamProvider"/>). Subscriptions are kept in <see cref="WsRoomsStorage.PubSubStore"/>.
    /// </summary>
    public static ISiloBuilder AddWsRoomsPushStreams(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPushStreams(EdgeStreams.ProviderName);
    }

    /// <summary>
    /// Memory streams named <see cref="EdgeStreams.ProviderName"/>, polled every <paramref name="pullingPeriod"/>
    /// (default 2 ms). Stream events in flight on a silo that dies are lost; the subscriptions are kept in
    /// <see cref="WsRoomsStorage.PubSubStore"/>, so they survive wherever that storage is durable.
    /// </summary>
    public static ISiloBuilder AddWsRoomsMemoryStreams(this ISiloBuilder builder, TimeSpan? pullingPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var period = CheckPeriod(pullingPeriod);
        builder.AddMemoryStreams(EdgeStreams.ProviderName, streams => streams.ConfigurePullingAgent(agent => agent.Configure(o =>
        {
            // The pulling agent waits one period after an empty read, so the period is the idle-to-edge latency.
            o.GetQueueMsgsTimerPeriod = period;
            // Many events per hand-over to a consumer: roughly doubles throughput under load.
            o.BatchContainerBatchSize = DefaultBatchContainerBatchSize;
        })));
        return builder;
    }

    /// <summary>
    /// Azure Queue streams named <see cref="EdgeStreams.ProviderName"/> over <paramref name="queueNames"/>, read every
    /// <paramref name="pullingPeriod"/> (each read is a storage request per queue, so keep it well above the memory
    /// streams' 2 ms; latency to the edge is about one period). A queue message holds at most 64 KiB, so one edge
    /// batch is capped at <see cref="AzureQueueMaxBatchBytes"/>: a single delivery larger than that is dropped.
    /// </summary>
    public static ISiloBuilder AddWsRoomsAzureQueueStreams(this ISiloBuilder builder, Func<QueueServiceClient> client, IReadOnlyList<string> queueNames, TimeSpan pullingPeriod)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(queueNames);
        var period = CheckPeriod(pullingPeriod);
        builder.AddAzureQueueStreams(EdgeStreams.ProviderName, streams =>
        {
            streams.ConfigureAzureQueue(o => o.Configure(q =>
            {
                q.QueueServiceClient = client();
                q.QueueNames = [.. queueNames];
            }));
            streams.ConfigurePullingAgent(agent => agent.Configure(o =>
            {
                o.GetQueueMsgsTimerPeriod = period;
                o.BatchContainerBatchSize = DefaultBatchContainerBatchSize;
            }));
        });
        builder.Services.PostConfigure<EdgeOutboxOptions>(o => o.MaxBatchBytes = Math.Min(o.MaxBatchBytes, AzureQueueMaxBatchBytes));
        return builder;
    }

    /// <summary>
    /// Memory grain storage for <see cref="WsRoomsStorage.Name"/> and <see cref="WsRoomsStorage.PubSubStore"/>, and
    /// in-memory membership rows. What a silo holds is lost when it stops.
    /// </summary>
    public static ISiloBuilder AddWsRoomsMemoryStorage(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMemoryGrainStorage(WsRoomsStorage.PubSubStore);
        builder.AddMemoryGrainStorage(WsRoomsStorage.Name);
        builder.Services.RemoveAll<IRowStore>();
        builder.Services.AddSingleton<IRowStore, MemoryRowStore>();
        return builder;
    }

    /// <summary>
    /// Azure Table storage for everything WsRooms keeps: connection records and the streams' subscriptions
    /// (<see cref="WsRoomsStorage.Name"/>, <see cref="WsRoomsStorage.PubSubStore"/>: Orleans' table grain storage,
    /// binary format), and room membership and edge leases one row per item (<see cref="AzureTableRowStore"/>).
    /// Everything survives the death of any silo, and of all of them.
    /// </summary>
    public static ISiloBuilder AddWsRoomsAzureTableStorage(this ISiloBuilder builder, Func<TableServiceClient> client, Action<WsRoomsTableOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        var services = builder.Services;
        var shared = new Lazy<TableServiceClient>(client);

        // Never UseStringFormat: it silently corrupts state above ~350 KiB (FIELD-NOTES).
        builder.AddAzureTableGrainStorage(WsRoomsStorage.Name, o =>
        {
            o.TableServiceClient = shared.Value;
            o.TableName = "WsRoomsGrainState";
        });
        builder.AddAzureTableGrainStorage(WsRoomsStorage.PubSubStore, o =>
        {
            o.TableServiceClient = shared.Value;
            o.TableName = "WsRoomsPubSub";
        });

        var tableOptions = services.AddOptions<WsRoomsTableOptions>();
        if (configure is not null)
        {
            tableOptions.Configure(configure);
        }

        services.AddKeyedSingleton(TableServiceKey, (_, _) => shared.Value);
        services.RemoveAll<IRowStore>();
        services.AddSingleton<IRowStore>(sp => ActivatorUtilities.CreateInstance<AzureTableRowStore>(sp, sp.GetRequiredKeyedService<TableServiceClient>(TableServiceKey)));
        return builder;
    }

    private static TimeSpan CheckPeriod(TimeSpan? pullingPeriod)
    {
        var period = pullingPeriod ?? DefaultPullingPeriod;
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(pullingPeriod), period, "The pulling period must be positive.");
        }

        return period;
    }

    /// <summary>
    /// In-memory providers for development, tests and a single machine: push streams named
    /// <see cref="EdgeStreams.ProviderName"/> and memory grain storage for <see cref="WsRoomsStorage.Name"/> and
    /// <see cref="WsRoomsStorage.PubSubStore"/>. State is lost when a silo stops; edge hosts renew their stream
    /// subscriptions every <see cref="PushStreamOptions.SubscriptionRefreshPeriod"/>, so those come back by themselves.
    /// </summary>
    public static ISiloBuilder AddWsRoomsMemoryProviders(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddWsRoomsPushStreams().AddWsRoomsMemoryStorage();
    }
}
