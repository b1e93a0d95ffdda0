using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Configuration;

/// <summary>Which grain storage the silo registers (key <c>WsRooms:GrainStorage</c>).</summary>
public sealed class SiloStorageOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms";

    /// <summary>The full configuration key of <see cref="GrainStorage"/>.</summary>
    public const string GrainStorageKey = SectionName + ":" + nameof(GrainStorage);

    /// <summary>
    /// <c>WsRooms:GrainStorage</c>: <see cref="GrainStorageProvider.Memory"/> (the default, so a clone runs with no
    /// storage account) or <see cref="GrainStorageProvider.AzureTable"/>.
    /// </summary>
    public GrainStorageProvider GrainStorage { get; set; } = GrainStorageProvider.Memory;
}

/// <summary>Rejects a provider number that names no provider (the binder accepts any number for an enum).</summary>
public sealed class SiloStorageOptionsValidator : IValidateOptions<SiloStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Enum.IsDefined(options.GrainStorage)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{SiloStorageOptions.GrainStorageKey} must be one of {string.Join(" | ", Enum.GetNames<GrainStorageProvider>())} (was {(int)options.GrainStorage}).");
    }
}
