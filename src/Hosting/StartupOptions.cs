using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace WsRooms.Hosting;

/// <summary>
/// Options a host needs before its service provider exists (which providers to register, which ports to open),
/// read and checked by the same rules the container applies at start.
/// </summary>
public static class StartupOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="sectionName"/> with <paramref name="validator"/> and
    /// <c>ValidateOnStart</c>, as every WsRooms option is bound, and also reads it now and checks it with the same
    /// validator. Adds one line per problem, each naming its configuration key, to <paramref name="problems"/>.
    /// Options with no rules beyond their types (a switch) pass no validator: the binder still names a value it
    /// cannot convert.
    /// </summary>
    /// <returns>The options as configured now; defaults where the section could not be read.</returns>
    public static TOptions AddStartupOptions<TOptions>(this IHostApplicationBuilder builder, string sectionName, IValidateOptions<TOptions>? validator, ICollection<string> problems)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(problems);

        builder.Services.AddOptions<TOptions>().BindConfiguration(sectionName).ValidateOnStart();
        if (validator is not null)
        {
            builder.Services.AddSingleton(validator);
        }

        TOptions options;
        try
        {
            options = builder.Configuration.GetSection(sectionName).Get<TOptions>() ?? new TOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the value it could not convert; the other rules need a value to check.
            problems.Add(e.Message);
            return new TOptions();
        }

        var result = validator?.Validate(Options.DefaultName, options);
        if (result is { Failed: true })
        {
            foreach (var failure in result.Failures)
            {
                problems.Add(failure);
            }
        }

        return options;
    }

    /// <summary>
    /// Writes "<paramref name="process"/>: invalid configuration:" and one indented line per problem to standard
    /// error, and returns the exit code of a configuration error, 2.
    /// </summary>
    public static async Task<int> ReportInvalidAsync(string process, IEnumerable<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        await Console.Error.WriteLineAsync(process + ": invalid configuration:").ConfigureAwait(false);
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync("  " + problem).ConfigureAwait(false);
        }

        return InvalidConfigurationExitCode;
    }

    /// <summary>The exit code of a process stopped by its configuration, apart from 1 (a crash).</summary>
    public const int InvalidConfigurationExitCode = 2;
}
