using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace WsRooms.Edge.Tests;

/// <summary>The edge's options as a host gets them: bound from configuration by <c>AddWsRooms</c>, then validated.</summary>
internal static class EdgeOptionsValidation
{
    /// <summary>What validation says about <paramref name="settings"/> (configuration keys and values): nothing when they are valid.</summary>
    public static IReadOnlyList<string> Failures(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddWsRooms();
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<WsRoomsEdgeOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }
}
