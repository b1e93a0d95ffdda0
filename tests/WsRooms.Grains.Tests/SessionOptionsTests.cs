using WsRooms.Grains.Sessions;

namespace WsRooms.Grains.Tests;

/// <summary>The validation of <c>WsRooms:Sessions</c>: every message names the key and the value it was given.</summary>
public sealed class SessionOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid() =>
        Assert.True(new SessionOptionsValidator().Validate(null, new SessionOptions()).Succeeded);

    [Theory]
    [InlineData(0, 1000, "WsRooms:Sessions:GracePeriod must be above 0 and at most 1.00:00:00 (was 00:00:00).")]
    [InlineData(2 * 86400, 1000, "WsRooms:Sessions:GracePeriod must be above 0 and at most 1.00:00:00 (was 2.00:00:00).")]
    [InlineData(30, 0, "WsRooms:Sessions:MaxDirectFrames must be at least 1 (was 0).")]
    public void ABadValueIsRefusedNamingItsKey(int graceSeconds, int maxDirectFrames, string expected)
    {
        var result = new SessionOptionsValidator().Validate(null, new SessionOptions
        {
            GracePeriod = TimeSpan.FromSeconds(graceSeconds),
            MaxDirectFrames = maxDirectFrames,
        });

        Assert.True(result.Failed);
        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void BadMidBoundsAreRefusedNamingTheirKeys()
    {
        var result = new SessionOptionsValidator().Validate(null, new SessionOptions { MaxMids = 0, MidRetention = TimeSpan.Zero });

        Assert.Equal(
            ["WsRooms:Sessions:MaxMids must be at least 1 (was 0).", "WsRooms:Sessions:MidRetention must be above 0 (was 00:00:00)."],
            result.Failures);
    }

    [Fact]
    public void TheMidDefaultsAreTheDocumentedOnes()
    {
        var options = new SessionOptions();
        Assert.Equal(4096, options.MaxMids);
        Assert.Equal(TimeSpan.FromMinutes(10), options.MidRetention);
    }
}
