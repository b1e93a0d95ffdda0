using WsRooms.Edge.Security;
using WsRooms.Protocol;

namespace WsRooms.Edge.Tests;

/// <summary>
/// Room patterns, in rules and claims alike: an exact name, <c>*</c>, or a prefix ending in <c>*</c>; and the rule
/// patterns an edge host refuses to start with.
/// </summary>
public sealed class RoomPatternTests
{
    [Theory]
    [InlineData("lobby", "lobby", true)]
    [InlineData("lobby", "lobby2", false)]
    [InlineData("lobby", "lobb", false)]
    [InlineData("lobby", "Lobby", false)]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", true)]
    [InlineData("chat.*", "chat.lobby", true)]
    [InlineData("chat.*", "chat.", true)]
    [InlineData("chat.*", "chat", false)]
    [InlineData("chat.*", "CHAT.lobby", false)]
    [InlineData("chat*", "chatroom", true)]
    [InlineData("a*b", "a*b", true)]
    [InlineData("a*b", "axb", false)]
    [InlineData("", "lobby", false)]
    public void APatternMatchesExactlyTheRoomsItNames(string pattern, string room, bool matches) =>
        Assert.Equal(matches, RoomPattern.Matches(pattern, room));

    [Theory]
    [InlineData("lobby")]
    [InlineData("*")]
    [InlineData("chat.*")]
    public void ARuleWithAValidPatternIsAccepted(string pattern) =>
        Assert.Empty(EdgeOptionsValidation.Failures(("WsRooms:Rooms:Rules:0:Pattern", pattern)));

    [Theory]
    [InlineData("a*b")]
    [InlineData("*.lobby")]
    [InlineData("**")]
    public void ARuleWithAStarBeforeTheEndIsRefusedNamingItsKey(string pattern)
    {
        var failure = Assert.Single(EdgeOptionsValidation.Failures(
            ("WsRooms:Rooms:Rules:0:Pattern", "lobby"),
            ("WsRooms:Rooms:Rules:1:Pattern", pattern)));
        Assert.Contains("WsRooms:Rooms:Rules:1:Pattern", failure, StringComparison.Ordinal);
        Assert.Contains($"'{pattern}'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ARuleWithoutAPatternIsRefusedNamingItsKey()
    {
        var failure = Assert.Single(EdgeOptionsValidation.Failures(("WsRooms:Rooms:Rules:0:Join", "true")));
        Assert.Contains("WsRooms:Rooms:Rules:0:Pattern", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownDefaultPolicyIsRefusedNamingItsKey()
    {
        var failure = Assert.Single(EdgeOptionsValidation.Failures(("WsRooms:Rooms:DefaultPolicy", "7")));
        Assert.Contains("WsRooms:Rooms:DefaultPolicy", failure, StringComparison.Ordinal);
    }
}
