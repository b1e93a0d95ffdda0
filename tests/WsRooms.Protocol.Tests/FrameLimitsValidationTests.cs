namespace WsRooms.Protocol.Tests;

/// <summary>A bad limits configuration stops start-up; the defaults are those of docs/protocol.md.</summary>
public sealed class FrameLimitsValidationTests
{
    [Fact]
    public void TheDefaultsAreTheProtocols()
    {
        var limits = new FrameLimits();

        Assert.Equal(64 * 1024, limits.MaxMessageBytes);
        Assert.Equal(128, limits.MaxRoomBytes);
        Assert.Equal(64, limits.MaxEventBytes);
        Assert.Equal(64, limits.MaxIdBytes);
        Assert.Equal(64, limits.MaxMetaBytes);
        Assert.Equal(20, FrameLimits.HeaderBytes);
        Assert.Equal(24, FrameLimits.V2HeaderBytes);
    }

    [Fact]
    public void TheDefaultsAreValid()
    {
        new FrameLimits().Validate();
        FrameLimits.Default.Validate();
    }

    [Fact]
    public void TheSmallestSensibleLimitsAreValid()
    {
        // Room and event of one byte each, ids of 36 (a connection id), a message that fits the smallest frame.
        new FrameLimits { MaxMessageBytes = 22, MaxRoomBytes = 1, MaxEventBytes = 1, MaxIdBytes = 36, MaxMetaBytes = 8 }.Validate();
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(21)]
    public void AMessageLimitTooSmallForAnyFrameIsRefused(int maxMessageBytes)
    {
        var limits = new FrameLimits { MaxMessageBytes = maxMessageBytes };

        var exception = Assert.Throws<InvalidOperationException>(limits.Validate);
        Assert.Contains(nameof(FrameLimits.MaxMessageBytes), exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 64, 64)]
    [InlineData(-1, 64, 64)]
    [InlineData(128, 0, 64)]
    [InlineData(128, -5, 64)]
    [InlineData(128, 64, 35)]
    [InlineData(128, 64, 0)]
    [InlineData(128, 64, -1)]
    public void NameLimitsThatRefuseEveryValidNameAreRefused(int room, int @event, int id)
    {
        var limits = new FrameLimits { MaxRoomBytes = room, MaxEventBytes = @event, MaxIdBytes = id };

        Assert.Throws<InvalidOperationException>(limits.Validate);
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void AMetaLimitBelowAPositionIsRefused(int maxMetaBytes)
    {
        // The same limits read the server's frames on a client, and a server's meta is an 8-byte position.
        var limits = new FrameLimits { MaxMetaBytes = maxMetaBytes };

        var exception = Assert.Throws<InvalidOperationException>(limits.Validate);
        Assert.Contains(nameof(FrameLimits.MaxMetaBytes), exception.Message, StringComparison.Ordinal);
        Assert.Contains($"(was {maxMetaBytes})", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(1024)]
    public void AMetaLimitThatHoldsAPositionIsValid(int maxMetaBytes)
    {
        new FrameLimits { MaxMetaBytes = maxMetaBytes }.Validate();
    }
}
