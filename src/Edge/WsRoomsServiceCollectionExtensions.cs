using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WsRooms.Delivery;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Delivery;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Hosting;
using WsRooms.Edge.Lease;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;
using WsRooms.Edge.Transport;
using WsRooms.Streaming;

namespace WsRooms.Edge;

/// <summary>Adds the WsRooms edge to an ASP.NET Core application that is also an Orleans client.</summary>
public static class WsRoomsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the edge: options (sections <c>WsRooms</c> and <c>WsRooms:EdgeLease</c>, validated at start-up), the
    /// connection registry, the dispatcher, the delivery-stream subscriber and the hosted service that starts and
    /// stops them in order. Call <c>UseOrleansClient(c => c.AddWsRoomsStreams())</c> too, and map the endpoint with
    /// <see cref="WsRoomsEndpointRouteBuilderExtensions.MapWsRooms"/>.
    /// </summary>
    public static WsRoomsBuilder AddWsRooms(this IServiceCollection services, Action<WsRoomsEdgeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(HandlerRegistry))?.ImplementationInstance as HandlerRegistry;
        if (existing is not null)
        {
            if (configure is not null)
            {
                services.Configure(configure);
            }

            return new WsRoomsBuilder(services, existing);
        }

        var optionsBuilder = services.AddOptions<WsRoomsEdgeOptions>().BindConfiguration(WsRoomsEdgeOptions.SectionName);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<WsRoomsEdgeOptions>, WsRoomsEdgeOptionsValidator>();
        optionsBuilder.ValidateOnStart();

        var handlers = new HandlerRegistry();
        services.AddSingleton(handlers);
        // The hook: UseAuthorization's if the application set one, else the mode WsRooms:Authentication:Mode names.
        services.TryAddSingleton<WsRoomsAuthorize>(sp =>
            sp.GetRequiredService<IOptions<WsRoomsEdgeOptions>>().Value.Authentication.Mode == AuthenticationMode.Jwt
                ? JwtAuthorization.AuthorizeAsync
                : AuthorizeResult.Anonymous);
        JwtAuthorization.AddServices(services);
        services.TryAddSingleton<IRoomAuthorizer, ClaimsRoomAuthorizer>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<RateLimitReplenisher>();
        services.AddMetrics();
        services.AddSingleton<EdgeMetrics>();
        services.AddSingleton<ClusterConnectionHealth>();
        services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ClusterConnectionHealth>());
        services.AddHealthChecks().AddCheck<EdgeReadyHealthCheck>("wsrooms-edge-ready", tags: [EdgeReadyHealthCheck.Tag]);
        services.AddSingleton<EdgeIdentity>();
        services.AddSingleton<EdgeReadiness>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<FrameDispatcher>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<WsRoomsEndpointPath>();
        services.AddSingleton<DirectUpgradeMiddleware>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, DirectUpgradeExtensions.KestrelSetup>();
        services.AddOptions<EdgeLeaseOptions>().BindConfiguration(EdgeLeaseOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeLeaseOptions>, EdgeLeaseOptionsValidator>());
        services.AddSingleton<EdgeLease>();
        services.AddSingleton<EdgeStreamSubscriber>();
        services.AddSingleton<RootRoomAttachment>();
        services.AddSingleton<ConnectionDrain>();
        services.AddSingleton<EdgeLifecycle>();
        services.AddHostedService(sp => sp.GetRequiredService<EdgeLifecycle>());
        services.AddSingleton<IClusterConnectionStatusObserver, ClusterConnectionObserver>();
        return new WsRoomsBuilder(services, handlers);
    }

    /// <summary>
    /// The Orleans client side of the edge streams: push streams (src/Streaming), with which the silos call this
    /// edge's subscriber directly. The silos register the same provider.
    /// </summary>
    public static IClientBuilder AddWsRoomsStreams(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPushStreams(EdgeStreams.ProviderName);
    }

    private sealed class WsRoomsEdgeOptionsValidator : IValidateOptions<WsRoomsEdgeOptions>
    {
        public ValidateOptionsResult Validate(string? name, WsRoomsEdgeOptions options)
        {
            var errors = options.Validate().ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
