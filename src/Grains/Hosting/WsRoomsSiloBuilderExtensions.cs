using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using WsRooms.Delivery;

namespace WsRooms.Hosting;

/// <summary>Adds WsRooms to an Orleans silo.</summary>
public static class WsRoomsSiloBuilderExtensions
{
    /// <summary>The default pulling period of the edge streams: latency to the edge is about one period.</summary>
    public static readonly TimeSpan DefaultPullingPeriod = TimeSpan.FromMilliseconds(2);

    /// <summary>Stream events the pulling agent hands a consumer at once (Orleans' default is 1).</summary>
    public const int DefaultBatchContainerBatchSize = 32;

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
        return builder;
    }

    /// <summary>
    /// In-memory providers for development, tests and a single machine: memory streams named
    /// <see cref="EdgeStreams.ProviderName"/> polled every <paramref name="pullingPeriod"/> (default 2 ms), and memory
    /// grain storage for <see cref="WsRoomsStorage.Name"/> and <see cref="WsRoomsStorage.PubSubStore"/>.
    /// Everything is lost when a silo stops; stream subscriptions held by a dead silo are lost silently.
    /// </summary>
    public static ISiloBuilder AddWsRoomsMemoryProviders(this ISiloBuilder builder, TimeSpan? pullingPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var period = pullingPeriod ?? DefaultPullingPeriod;
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(pullingPeriod), period, "The pulling period must be positive.");
        }

        builder.AddMemoryStreams(EdgeStreams.ProviderName, streams => streams.ConfigurePullingAgent(agent => agent.Configure(o =>
        {
            // The pulling agent waits one period after an empty read, so the period is the idle-to-edge latency.
            o.GetQueueMsgsTimerPeriod = period;
            // Many events per hand-over to a consumer: roughly doubles throughput under load.
            o.BatchContainerBatchSize = DefaultBatchContainerBatchSize;
        })));
        builder.AddMemoryGrainStorage(WsRoomsStorage.PubSubStore);
        builder.AddMemoryGrainStorage(WsRoomsStorage.Name);
        return builder;
    }
}
