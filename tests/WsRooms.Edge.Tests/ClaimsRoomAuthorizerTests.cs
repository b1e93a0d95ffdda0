using WsRooms.Edge.Security;
using Microsoft.Extensions.Options;

namespace WsRooms.Edge.Tests;

/// <summary>
/// The default room rules (<c>WsRooms:Rooms</c>): who may join and publish to which room, from the configured rules
/// and the connection's claims.
/// </summary>
public sealed class ClaimsRoomAuthorizerTests
{
    private static readonly Dictionary<string, string> NoClaims = [];

    private static ClaimsRoomAuthorizer Authorizer(RoomPolicy policy = RoomPolicy.Deny, params RoomRule[] rules)
    {
        var options = new WsRoomsEdgeOptions();
        options.Rooms.DefaultPolicy = policy;
        options.Rooms.Rules.AddRange(rules);
        return new ClaimsRoomAuthorizer(Options.Create(options));
    }

    private static Dictionary<string, string> Claims(string type, string value) => new() { [type] = value };

    [Fact]
    public void TheAllowPolicyOpensEveryRoomToEveryone()
    {
        var authorizer = Authorizer(RoomPolicy.Allow);
        Assert.True(authorizer.IsAllowed(NoClaims, "anything", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(NoClaims, "anything", RoomAction.Publish));
        Assert.True(authorizer.IsAllowed(NoClaims, "root", RoomAction.Publish));
    }

    [Fact]
    public void AllowIsTheDefaultPolicy()
    {
        var authorizer = new ClaimsRoomAuthorizer(Options.Create(new WsRoomsEdgeOptions()));
        Assert.True(authorizer.IsAllowed(NoClaims, "lobby", RoomAction.Join));
    }

    [Fact]
    public void TheDenyPolicyRefusesWhatNothingGrants()
    {
        var authorizer = Authorizer();
        Assert.False(authorizer.IsAllowed(NoClaims, "lobby", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(NoClaims, "lobby", RoomAction.Publish));
    }

    [Fact]
    public void EveryoneMayJoinRootButPublishingThereNeedsAGrant()
    {
        var authorizer = Authorizer();
        Assert.True(authorizer.IsAllowed(NoClaims, "root", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(NoClaims, "root", RoomAction.Publish));
        Assert.True(authorizer.IsAllowed(Claims("rooms", "root"), "root", RoomAction.Publish));
    }

    [Fact]
    public void ARuleGrantsBothActionsInMatchingRoomsToEveryone()
    {
        var authorizer = Authorizer(RoomPolicy.Deny, new RoomRule { Pattern = "public-*" });
        Assert.True(authorizer.IsAllowed(NoClaims, "public-1", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(NoClaims, "public-1", RoomAction.Publish));
        Assert.False(authorizer.IsAllowed(NoClaims, "private-1", RoomAction.Join));
    }

    [Fact]
    public void ARuleWithoutPublishLetsEveryoneJoinAndListenOnly()
    {
        var authorizer = Authorizer(RoomPolicy.Deny, new RoomRule { Pattern = "news", Publish = false });
        Assert.True(authorizer.IsAllowed(NoClaims, "news", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(NoClaims, "news", RoomAction.Publish));
    }

    [Fact]
    public void ARuleWithoutJoinGrantsOnlyPublishing()
    {
        var authorizer = Authorizer(RoomPolicy.Deny, new RoomRule { Pattern = "inbox", Join = false });
        Assert.False(authorizer.IsAllowed(NoClaims, "inbox", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(NoClaims, "inbox", RoomAction.Publish));
    }

    [Fact]
    public void TheRoomsClaimGrantsBothActions()
    {
        var claims = Claims("rooms", "team-a");
        var authorizer = Authorizer();
        Assert.True(authorizer.IsAllowed(claims, "team-a", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(claims, "team-a", RoomAction.Publish));
        Assert.False(authorizer.IsAllowed(claims, "team-b", RoomAction.Join));
    }

    [Fact]
    public void TheJoinClaimGrantsJoiningOnly()
    {
        var claims = Claims("rooms.join", "team-a");
        var authorizer = Authorizer();
        Assert.True(authorizer.IsAllowed(claims, "team-a", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(claims, "team-a", RoomAction.Publish));
    }

    [Fact]
    public void ThePublishClaimGrantsPublishingOnly()
    {
        var claims = Claims("rooms.publish", "team-a");
        var authorizer = Authorizer();
        Assert.False(authorizer.IsAllowed(claims, "team-a", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(claims, "team-a", RoomAction.Publish));
    }

    [Theory]
    [InlineData("team-a team-b chat.*")]
    [InlineData("team-a,team-b,chat.*")]
    [InlineData(" team-a ,  team-b, chat.* ")]
    public void AClaimListsPatternsSeparatedBySpacesOrCommas(string value)
    {
        var claims = Claims("rooms", value);
        var authorizer = Authorizer();
        Assert.True(authorizer.IsAllowed(claims, "team-a", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(claims, "team-b", RoomAction.Join));
        Assert.True(authorizer.IsAllowed(claims, "chat.lobby", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(claims, "team-c", RoomAction.Join));
    }

    [Fact]
    public void TheClaimTypesAreConfigurable()
    {
        var options = new WsRoomsEdgeOptions();
        options.Rooms.DefaultPolicy = RoomPolicy.Deny;
        options.Rooms.Claim = "groups";
        var authorizer = new ClaimsRoomAuthorizer(Options.Create(options));

        Assert.True(authorizer.IsAllowed(Claims("groups", "team-a"), "team-a", RoomAction.Join));
        Assert.False(authorizer.IsAllowed(Claims("rooms", "team-a"), "team-a", RoomAction.Join));
    }

    [Fact]
    public void AnEmptyClaimTypeGrantsNothing()
    {
        var options = new WsRoomsEdgeOptions();
        options.Rooms.DefaultPolicy = RoomPolicy.Deny;
        options.Rooms.Claim = "";
        var authorizer = new ClaimsRoomAuthorizer(Options.Create(options));

        Assert.False(authorizer.IsAllowed(Claims("", "team-a"), "team-a", RoomAction.Join));
    }

    [Fact]
    public async Task TheAsynchronousDecisionIsTheSynchronousOne()
    {
        var authorizer = Authorizer(RoomPolicy.Deny, new RoomRule { Pattern = "open" });
        Assert.True(await authorizer.IsAllowedAsync(NoClaims, "open", RoomAction.Join, CancellationToken.None));
        Assert.False(await authorizer.IsAllowedAsync(NoClaims, "closed", RoomAction.Join, CancellationToken.None));
    }
}
