using WsRooms.Edge.Limits;

namespace WsRooms.Edge.Tests;

/// <summary>Which <c>WsRooms:Quotas</c> an edge host refuses to start with, and that each refusal names the key to fix.</summary>
public sealed class QuotaOptionsValidationTests
{
    [Fact]
    public void EveryQuotaIsOffByDefaultAndValid() => Assert.Empty(EdgeOptionsValidation.Failures());

    [Theory]
    [InlineData(nameof(QuotaOptions.MaxRoomsPerConnection))]
    [InlineData(nameof(QuotaOptions.MaxMembersPerRoom))]
    [InlineData(nameof(QuotaOptions.MessagesPerSecond))]
    [InlineData(nameof(QuotaOptions.MessageBurst))]
    [InlineData(nameof(QuotaOptions.BytesPerSecond))]
    [InlineData(nameof(QuotaOptions.ByteBurst))]
    [InlineData(nameof(QuotaOptions.MaxConnections))]
    [InlineData(nameof(QuotaOptions.MaxConnectionsPerUser))]
    [InlineData(nameof(QuotaOptions.MaxConnectionsPerIp))]
    public void ANegativeQuotaIsRefusedNamingTheQuotasSection(string quota)
    {
        var failure = Assert.Single(EdgeOptionsValidation.Failures(($"WsRooms:Quotas:{quota}", "-1")));
        Assert.Contains("WsRooms:Quotas", failure, StringComparison.Ordinal);
        Assert.Contains("negative", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void PositiveQuotasAreValid() =>
        Assert.Empty(EdgeOptionsValidation.Failures(
            ("WsRooms:Quotas:MaxRoomsPerConnection", "10"),
            ("WsRooms:Quotas:MaxMembersPerRoom", "100"),
            ("WsRooms:Quotas:MessagesPerSecond", "50"),
            ("WsRooms:Quotas:MessageBurst", "5"),
            ("WsRooms:Quotas:MaxConnections", "1000"),
            ("WsRooms:Quotas:MaxConnectionsPerUser", "3"),
            ("WsRooms:Quotas:MaxConnectionsPerIp", "30")));

    [Fact]
    public void AByteBurstSmallerThanTheLargestFrameIsRefusedNamingBothKeys()
    {
        var failure = Assert.Single(EdgeOptionsValidation.Failures(
            ("WsRooms:Limits:MaxMessageBytes", "1000"),
            ("WsRooms:Quotas:BytesPerSecond", "5000"),
            ("WsRooms:Quotas:ByteBurst", "999")));
        Assert.Contains("WsRooms:Quotas:ByteBurst", failure, StringComparison.Ordinal);
        Assert.Contains("WsRooms:Limits:MaxMessageBytes (1000)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AByteBurstAsLargeAsTheLargestFrameIsValid() =>
        Assert.Empty(EdgeOptionsValidation.Failures(
            ("WsRooms:Limits:MaxMessageBytes", "1000"),
            ("WsRooms:Quotas:BytesPerSecond", "5000"),
            ("WsRooms:Quotas:ByteBurst", "1000")));

    [Fact]
    public void AByteRateBelowTheLargestFrameNeedsNoBurstBecauseTheBurstDefaultsToTheFrameSize() =>
        Assert.Empty(EdgeOptionsValidation.Failures(
            ("WsRooms:Limits:MaxMessageBytes", "1000"),
            ("WsRooms:Quotas:BytesPerSecond", "10")));

    [Fact]
    public void AByteBurstIsNotCheckedWhileTheByteRateIsOff() =>
        Assert.Empty(EdgeOptionsValidation.Failures(
            ("WsRooms:Limits:MaxMessageBytes", "1000"),
            ("WsRooms:Quotas:ByteBurst", "10")));
}
