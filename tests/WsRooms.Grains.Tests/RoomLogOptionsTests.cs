using Microsoft.Extensions.Options;
using WsRooms.Grains.RoomLogs;

namespace WsRooms.Grains.Tests;

/// <summary>Retention per room-name pattern, and the validation of <c>WsRooms:RoomLog</c>.</summary>
public sealed class RoomLogOptionsTests
{
    [Fact]
    public void TheMostSpecificPatternWinsAndUnsetLimitsComeFromTheDefaults()
    {
        var options = new RoomLogOptions
        {
            MaxFrames = 100,
            MaxAge = TimeSpan.FromMinutes(1),
            MaxBytes = 10_000,
            Rules =
            [
                new RoomLogRule { Pattern = "*", MaxFrames = 1 },
                new RoomLogRule { Pattern = "chat.*", MaxFrames = 2 },
                new RoomLogRule { Pattern = "chat.vip.*", MaxFrames = 3, MaxAge = TimeSpan.FromHours(1) },
                new RoomLogRule { Pattern = "chat.vip.ceo", MaxBytes = 5 },
            ],
        };
        var retention = new RoomLogRetention(Options.Create(options));

        Assert.Equal(new RoomLogLimits(1, TimeSpan.FromMinutes(1), 10_000), retention.For("lobby"));
        Assert.Equal(new RoomLogLimits(2, TimeSpan.FromMinutes(1), 10_000), retention.For("chat.general"));
        Assert.Equal(new RoomLogLimits(3, TimeSpan.FromHours(1), 10_000), retention.For("chat.vip.lounge"));
        Assert.Equal(new RoomLogLimits(100, TimeSpan.FromMinutes(1), 5), retention.For("chat.vip.ceo"));

        var defaults = new RoomLogRetention(Options.Create(new RoomLogOptions()));
        Assert.Equal(new RoomLogLimits(1_000, TimeSpan.FromMinutes(10), 1024 * 1024), defaults.For("anything"));
    }

    [Fact]
    public void DurableComesFromTheRuleOrTheDefault()
    {
        var options = new RoomLogOptions
        {
            Durable = true,
            Rules = [new RoomLogRule { Pattern = "scratch.*", Durable = false }, new RoomLogRule { Pattern = "chat.*", MaxFrames = 5 }],
        };
        var retention = new RoomLogRetention(Options.Create(options));

        Assert.True(retention.For("lobby").Durable);
        Assert.True(retention.For("chat.general").Durable);
        Assert.False(retention.For("scratch.pad").Durable);
        Assert.False(new RoomLogRetention(Options.Create(new RoomLogOptions())).For("lobby").Durable);
    }

    [Fact]
    public void ADurableLogIsRefusedWithoutADurableStore()
    {
        var options = new RoomLogOptions { Rules = [new RoomLogRule { Pattern = "chat.*", Durable = true }] };

        var result = new RoomLogOptionsValidator([]).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            ["WsRooms:RoomLog:Rules:0:Durable needs Azure Table storage (WsRooms:GrainStorage AzureTable, AddWsRoomsAzureTableStorage); this silo keeps its state in memory (was true)."],
            result.Failures);
        Assert.True(new RoomLogOptionsValidator([]).Validate(null, new RoomLogOptions { Rules = [new RoomLogRule { Pattern = "chat.*", Durable = false }] }).Succeeded);
        Assert.Contains("WsRooms:RoomLog:Durable needs", new RoomLogOptionsValidator([]).Validate(null, new RoomLogOptions { Durable = true }).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultsAreValid() =>
        Assert.True(new RoomLogOptionsValidator([]).Validate(null, new RoomLogOptions()).Succeeded);

    [Fact]
    public void EveryFailureNamesItsFullKey()
    {
        var options = new RoomLogOptions
        {
            MaxFrames = -1,
            MaxAge = TimeSpan.Zero,
            MaxBytes = -5,
            Rules =
            [
                new RoomLogRule { Pattern = "a*b" },
                new RoomLogRule { Pattern = "" },
                new RoomLogRule { Pattern = "x.*", MaxFrames = RoomLogOptions.MaxFramesLimit + 1 },
                new RoomLogRule { Pattern = "x.*", MaxAge = TimeSpan.FromSeconds(-1), MaxBytes = -1 },
            ],
        };

        var result = new RoomLogOptionsValidator([]).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "WsRooms:RoomLog:MaxFrames must be between 0 and 1000000 (was -1).",
                "WsRooms:RoomLog:MaxAge must be positive (was 00:00:00).",
                "WsRooms:RoomLog:MaxBytes must not be negative (was -5).",
                "WsRooms:RoomLog:Rules:0:Pattern must be a room name, '*' or a prefix ending in '*' (was 'a*b').",
                "WsRooms:RoomLog:Rules:1:Pattern must be a room name, '*' or a prefix ending in '*' (was '').",
                "WsRooms:RoomLog:Rules:2:MaxFrames must be between 0 and 1000000 (was 1000001).",
                "WsRooms:RoomLog:Rules:3:Pattern repeats the pattern of an earlier rule (was 'x.*').",
                "WsRooms:RoomLog:Rules:3:MaxAge must be positive (was -00:00:01).",
                "WsRooms:RoomLog:Rules:3:MaxBytes must not be negative (was -1).",
            ],
            result.Failures);
    }
}
