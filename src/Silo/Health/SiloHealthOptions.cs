using Microsoft.Extensions.Options;

namespace WsRooms.Silo.Health;

/// <summary>The silo's small HTTP listener for probes and scrapes (section <c>WsRooms:Health</c>).</summary>
public sealed class SiloHealthOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "WsRooms:Health";

    /// <summary><c>WsRooms:Health:Port</c>: TCP port of the listener; 0, the default, turns it off.</summary>
    public int Port { get; set; }

    /// <summary>
    /// <c>WsRooms:Health:Host</c>: the address it listens on. Default 127.0.0.1, so nothing is exposed by accident; set
    /// 0.0.0.0 where probes come from outside (containers).
    /// </summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary><c>WsRooms:Health:Metrics</c>: whether <c>/metrics</c> (Prometheus) is served there too. Default true.</summary>
    public bool Metrics { get; set; } = true;
}

/// <summary>Rejects a port outside 0-65535 and an empty host.</summary>
internal sealed class SiloHealthOptionsValidator : IValidateOptions<SiloHealthOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloHealthOptions options)
    {
        var failures = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{SiloHealthOptions.SectionName}:Port must be 0 (off) to 65535 (was {options.Port}).");
        }

        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add($"{SiloHealthOptions.SectionName}:Host must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
