using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Configuration;

/// <summary>The silo's grain-call response timeout (section <c>WsRooms:Messaging</c>).</summary>
public sealed class SiloMessagingTimeoutOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms:Messaging";

    /// <summary>
    /// <c>WsRooms:Messaging:ResponseTimeout</c>: unset, the default, keeps Orleans' 30 s. A stream delivery on its
    /// way to an edge through a silo that then died waits this long before it is retried, so it bounds the delivery
    /// stall after a silo death.
    /// </summary>
    public TimeSpan? ResponseTimeout { get; set; }
}

/// <summary>Rejects a response timeout under a second, which would fail ordinary calls on a loaded silo.</summary>
public sealed class SiloMessagingTimeoutOptionsValidator : IValidateOptions<SiloMessagingTimeoutOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloMessagingTimeoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ResponseTimeout is { } timeout && timeout < TimeSpan.FromSeconds(1)
            ? ValidateOptionsResult.Fail($"{SiloMessagingTimeoutOptions.SectionName}:ResponseTimeout must be a time span of at least 00:00:01 (was {timeout}).")
            : ValidateOptionsResult.Success;
    }
}
