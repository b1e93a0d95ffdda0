using Microsoft.Extensions.Options;

namespace WsRooms.Streaming;

/// <summary>
/// Timings of the push streams, the same on silos and clients (section <see cref="SectionName"/>).
/// </summary>
public sealed class PushStreamOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "WsRooms:Streams:Push";

    /// <summary>
    /// How often a subscriber renews its registration (default 10 s). Renewal is what brings a subscription back
    /// after the silo holding its rendezvous grain dies with memory storage, so this bounds that gap.
    /// </summary>
    public TimeSpan SubscriptionRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A registration not renewed for this long is dropped (default 60 s): a subscriber that died without
    /// unsubscribing stops costing its producers failed calls. Must be well above the refresh period.
    /// </summary>
    public TimeSpan SubscriptionLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a producer waits for a subscriber to take one event before <c>OnNextAsync</c> fails with a
    /// <see cref="TimeoutException"/> (default 10 s). This, not Orleans' response timeout (30 s), bounds how long a
    /// delivery routed through a silo that has just died holds up the ones behind it.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a producer reuses the subscriber list it fetched (default 5 s). A failed delivery drops it at once,
    /// so this only bounds how late a producer notices a second, new subscriber.
    /// </summary>
    public TimeSpan ProducerCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a producer trusts "no subscribers" (default 250 ms): events published meanwhile are dropped, as on
    /// any Orleans stream without a subscriber; a subscriber that has just arrived is seen this soon.
    /// </summary>
    public TimeSpan EmptyCacheDuration { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>Checks <see cref="PushStreamOptions"/> at start-up.</summary>
internal sealed class PushStreamOptionsValidator : IValidateOptions<PushStreamOptions>
{
    public ValidateOptionsResult Validate(string? name, PushStreamOptions options)
    {
        var problems = new List<string>();
        if (options.SubscriptionRefreshPeriod <= TimeSpan.Zero)
        {
            problems.Add($"{PushStreamOptions.SectionName}:{nameof(options.SubscriptionRefreshPeriod)} must be positive (was {options.SubscriptionRefreshPeriod}).");
        }

        if (options.SubscriptionLifetime < options.SubscriptionRefreshPeriod * 2)
        {
            problems.Add($"{PushStreamOptions.SectionName}:{nameof(options.SubscriptionLifetime)} must be at least twice {nameof(options.SubscriptionRefreshPeriod)} (was {options.SubscriptionLifetime} vs {options.SubscriptionRefreshPeriod}).");
        }

        if (options.DeliveryTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{PushStreamOptions.SectionName}:{nameof(options.DeliveryTimeout)} must be positive (was {options.DeliveryTimeout}).");
        }

        if (options.ProducerCacheDuration < TimeSpan.Zero)
        {
            problems.Add($"{PushStreamOptions.SectionName}:{nameof(options.ProducerCacheDuration)} must not be negative (was {options.ProducerCacheDuration}).");
        }

        if (options.EmptyCacheDuration < TimeSpan.Zero)
        {
            problems.Add($"{PushStreamOptions.SectionName}:{nameof(options.EmptyCacheDuration)} must not be negative (was {options.EmptyCacheDuration}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
