using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Transport;

namespace WsRooms.Edge;

/// <summary>Turning on <see cref="WsRoomsEdgeOptions.DirectUpgrade"/> for a Kestrel endpoint.</summary>
public static class DirectUpgradeExtensions
{
    /// <summary>
    /// Serves WsRooms' WebSocket upgrades on this endpoint straight from the connection (see
    /// <see cref="WsRoomsEdgeOptions.DirectUpgrade"/>). <c>WsRooms:DirectUpgrade=true</c> does this for every endpoint
    /// through <see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>; call this instead in an application that
    /// sets its own endpoint defaults (Kestrel keeps only the last), or to choose endpoints one by one.
    /// </summary>
    public static ListenOptions UseWsRoomsDirectUpgrade(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var services = listenOptions.ApplicationServices;
        listenOptions.Use(next =>
        {
            var middleware = services.GetRequiredService<DirectUpgradeMiddleware>();
            return connection => middleware.OnConnectionAsync(connection, next);
        });
        return listenOptions;
    }

    /// <summary>Applies <see cref="WsRoomsEdgeOptions.DirectUpgrade"/> to Kestrel's endpoint defaults.</summary>
    internal sealed class KestrelSetup(IOptions<WsRoomsEdgeOptions> options) : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions kestrel)
        {
            if (options.Value.DirectUpgrade)
            {
                kestrel.ConfigureEndpointDefaults(listen => listen.UseWsRoomsDirectUpgrade());
            }
        }
    }
}
