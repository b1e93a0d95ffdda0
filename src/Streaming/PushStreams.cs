using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace WsRooms.Streaming;

/// <summary>Registers push streams on a silo or a client.</summary>
public static class PushStreams
{
    /// <summary>
    /// The grain storage the subscriptions are kept in: Orleans' own PubSubStore, so a silo configured for Orleans
    /// streams needs nothing more, and the subscriptions are as durable as that storage.
    /// </summary>
    public const string StorageName = "PubSubStore";

    /// <summary>
    /// Push streams named <paramref name="name"/> on a silo. The silo must also have the grain storage
    /// <see cref="StorageName"/>.
    /// </summary>
    public static ISiloBuilder AddPushStreams(this ISiloBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddPushStreams(builder.Services, name);
        return builder;
    }

    /// <summary>Push streams named <paramref name="name"/> on an Orleans client (the subscriber side, usually).</summary>
    public static IClientBuilder AddPushStreams(this IClientBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddPushStreams(builder.Services, name);
        return builder;
    }

    private static void AddPushStreams(IServiceCollection services, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.AddOptions<PushStreamOptions>().BindConfiguration(PushStreamOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushStreamOptions>, PushStreamOptionsValidator>());
        services.AddKeyedSingleton<IStreamProvider>(name, (sp, _) => new PushStreamProvider(
            name,
            sp,
            sp.GetRequiredService<IOptions<PushStreamOptions>>(),
            sp.GetRequiredService<ILogger<PushStreamProvider>>()));
    }
}
