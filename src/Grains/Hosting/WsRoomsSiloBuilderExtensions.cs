using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WsRooms.Delivery;
using WsRooms.Grains.Connections;
using WsRooms.Grains.Delivery;
using WsRooms.Grains.Lease;
using WsRooms.Grains.RoomLogs;
using WsRooms.Grains.Sessions;
using WsRooms.Grains.Storage;
using WsRooms.Streaming;

namespace WsRooms.Grains.Hosting;

/// <summary>Adds WsRooms to an Orleans silo.</summary>
public static class WsRoomsSiloBuilderExtensions
{
    /// <summary>
    /// Registers what the room and connection grains need: the edge outbox (the one path from a grain to an edge
    /// host's stream) with its options (<see cref="EdgeOutboxOptions.SectionName"/>, then
    /// <paramref name="configure"/>) and the edge directory with its options
    /// (<see cref="EdgeDirectoryOptions.SectionName"/>), the room logs' retention (<see cref="RoomLogOptions.SectionName"/>) and
    /// the v2 sessions' settings (<see cref="SessionOptions.SectionName"/>),
    /// validated at start. Does not choose providers: the silo must
    /// also register the push streams <see cref="EdgeStreams.ProviderName"/> and the grain storages
    /// <see cref="WsRoomsStorage.Name"/> and <see cref="WsRoomsStorage.PubSubStore"/>
    /// (e.g. with <see cref="AddWsRoomsMemoryProviders"/>).
    /// </summary>
    public static ISiloBuilder AddWsRooms(this ISiloBuilder builder, Action<EdgeOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Calling this twice adds the second configuration; the components themselves are registered once.
        var registered = services.Any(d => d.ServiceType == typeof(EdgeOutbox));
        var options = services.AddOptions<EdgeOutboxOptions>();
        if (!registered)
        {
            options.BindConfiguration(EdgeOutboxOptions.SectionName);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (registered)
        {
            return builder;
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<EdgeOutboxOptions>, EdgeOutboxOptionsValidator>();

        services.AddSingleton<EdgeOutbox>();
        services.AddSingleton<IEdgeOutbox>(sp => sp.GetRequiredService<EdgeOutbox>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EdgeOutbox>());

        // Edge-host leases: the directory and reapers read their settings here (the lease itself is the edge's).
        services.AddOptions<EdgeDirectoryOptions>().BindConfiguration(EdgeDirectoryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, EdgeDirectoryKeepAlive>();
        services.AddSingleton<IValidateOptions<EdgeDirectoryOptions>, EdgeDirectoryOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EdgeRoutes>();

        // Room logs: retention per room-name pattern, looked up once per room activation.
        services.AddOptions<RoomLogOptions>().BindConfiguration(RoomLogOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RoomLogOptions>, RoomLogOptionsValidator>();
        services.AddSingleton<RoomLogRetention>();

        // v2 sessions: grace period and direct-log bound.
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionOptions>, SessionOptionsValidator>();

        // Membership rows: in memory unless a durable store replaces it (AddWsRoomsAzureTableStorage).
        services.TryAddSingleton<IRowStore, MemoryRowStore>();
        return builder;
    }

    /// <summary>
    /// Push streams named <see cref="EdgeStreams.ProviderName"/>, the transport to the edge hosts: the outbox's
    /// publish is one call to the edge's subscriber (see <see cref="PushStreamProvider"/>). Subscriptions are kept in
    /// <see cref="WsRoomsStorage.PubSubStore"/>.
    /// </summary>
    public static ISiloBuilder AddWsRoomsPushStreams(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPushStreams(EdgeStreams.ProviderName);
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

        // No store for durable room logs: a durable rule is refused at start (RoomLogOptionsValidator).
        builder.Services.RemoveAll<IRoomLogStore>();
        return builder;
    }

    /// <summary>
    /// Azure Table storage for everything WsRooms keeps: connection records and the streams' subscriptions
    /// (<see cref="WsRoomsStorage.Name"/>, <see cref="WsRoomsStorage.PubSubStore"/>: Orleans' table grain storage,
    /// binary format), room membership and edge leases one row per item (<see cref="AzureTableRowStore"/>), and the
    /// logs of the rooms configured durable (<see cref="RoomLogOptions.Durable"/>) one row per frame
    /// (<see cref="WsRoomsTableOptions.RoomLogTableName"/>). Everything survives the death of any silo, and of all of them.
    /// </summary>
    public static ISiloBuilder AddWsRoomsAzureTableStorage(this ISiloBuilder builder, Func<TableServiceClient> client, Action<WsRoomsTableOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        var services = builder.Services;
        var shared = new Lazy<TableServiceClient>(client);

        // Binary format (the default), never UseStringFormat: a large state in string format is read back corrupted.
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

        services.RemoveAll<IRowStore>();
        services.AddSingleton<IRowStore>(sp => ActivatorUtilities.CreateInstance<AzureTableRowStore>(sp, shared.Value));

        // The frames of the rooms whose log is durable (WsRooms:RoomLog:Durable), in a table of their own.
        services.RemoveAll<IRoomLogStore>();
        services.AddSingleton<IRoomLogStore>(sp => ActivatorUtilities.CreateInstance<AzureTableRoomLogStore>(sp, shared.Value));
        return builder;
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
