using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Health;

/// <summary>Adds the silo's health listener.</summary>
public static class SiloHealthSiloBuilderExtensions
{
    /// <summary>
    /// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> on <c>WsRooms:Health:Port</c> (0, the default: off), bound
    /// from configuration and then <paramref name="configure"/>, validated at start.
    /// </summary>
    public static ISiloBuilder AddWsRoomsHealthEndpoint(this ISiloBuilder builder, Action<SiloHealthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<SiloHealthOptions>().BindConfiguration(SiloHealthOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiloHealthOptions>, SiloHealthOptionsValidator>();
        builder.Services.AddSingleton<SiloHealthServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SiloHealthServer>());
        return builder;
    }
}
