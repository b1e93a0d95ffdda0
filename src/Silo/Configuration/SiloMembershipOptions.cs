using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Configuration;

/// <summary>
/// How fast the cluster declares a silo dead (section <c>WsRooms:Membership</c>). Set only by tests that kill silos;
/// unset, the default, keeps Orleans' own values, which tolerate a long pause without evicting a healthy silo.
/// </summary>
public sealed class SiloMembershipOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms:Membership";

    /// <summary><c>WsRooms:Membership:ProbeTimeout</c>: how long one probe of another silo may take.</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary><c>WsRooms:Membership:NumMissedProbesLimit</c>: missed probes before a silo is suspected.</summary>
    public int? NumMissedProbesLimit { get; set; }
}

/// <summary>Rejects a probe timeout that is not positive and a missed-probe limit outside 1-100.</summary>
public sealed class SiloMembershipOptionsValidator : IValidateOptions<SiloMembershipOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ProbeTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            failures.Add($"{SiloMembershipOptions.SectionName}:ProbeTimeout must be a positive time span such as 00:00:02 (was {timeout}).");
        }

        if (options.NumMissedProbesLimit is < 1 or > 100)
        {
            failures.Add($"{SiloMembershipOptions.SectionName}:NumMissedProbesLimit must be 1-100 (was {options.NumMissedProbesLimit}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
