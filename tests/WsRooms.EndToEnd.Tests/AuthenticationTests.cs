using System.Net;
using System.Net.WebSockets;
using WsRooms.Edge;
using WsRooms.Edge.Security;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Grains;
using WsRooms.Testing;

namespace WsRooms.EndToEnd.Tests;

/// <summary>WsRooms:Authentication:Mode = Jwt: a valid bearer token connects, anything else is 401 before the upgrade.</summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class AuthenticationTests(EdgeClusterFixture fixture)
{
    [Fact]
    public async Task AValidTokenInTheQueryConnectsAndItsClaimsBecomeTheConnectionsClaims()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: Tokens.UseJwt);
        var token = Tokens.Mint("alice", new Dictionary<string, object> { ["rooms"] = new[] { "chat.*", "news" }, ["tenant"] = "t1" });

        await using var client = await TestClient.ConnectAsync(Tokens.WithToken(edge.WebSocketUri, token));

        var info = await fixture.Client.GetConnection(client.Id).GetInfoAsync();
        Assert.NotNull(info);
        Assert.Equal("alice", info.Claims["sub"]);
        Assert.Equal("t1", info.Claims["tenant"]);
        Assert.Equal("chat.* news", info.Claims["rooms"]); // a claim given more than once is joined with spaces
    }

    [Fact]
    public async Task AValidTokenInTheAuthorizationHeaderConnects()
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: Tokens.UseJwt);
        var token = Tokens.Mint("bob");

        await using var client = await TestClient.ConnectAsync(edge.WebSocketUri, configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));

        var info = await fixture.Client.GetConnection(client.Id).GetInfoAsync();
        Assert.Equal("bob", info!.Claims["sub"]);
    }

    public static TheoryData<string> BadTokens => new() { "missing", "garbage", "expired", "wrong-key", "wrong-audience", "wrong-issuer" };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task AMissingInvalidOrExpiredTokenGets401BeforeTheUpgrade(string kind)
    {
        await using var edge = await fixture.StartEdgeAsync(configureOptions: Tokens.UseJwt);
        var otherKey = Convert.ToBase64String(Enumerable.Repeat((byte)42, 32).ToArray());
        var uri = kind switch
        {
            "missing" => edge.WebSocketUri,
            "garbage" => Tokens.WithToken(edge.WebSocketUri, "not.a.jwt"),
            "expired" => Tokens.WithToken(edge.WebSocketUri, Tokens.Mint("carol", expires: DateTime.UtcNow.AddMinutes(-5))),
            "wrong-key" => Tokens.WithToken(edge.WebSocketUri, Tokens.Mint("carol", signingKey: otherKey)),
            "wrong-audience" => Tokens.WithToken(edge.WebSocketUri, Tokens.Mint("carol", audience: "someone-else")),
            "wrong-issuer" => Tokens.WithToken(edge.WebSocketUri, Tokens.Mint("carol", issuer: "https://evil.example")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, await Upgrade.StatusAsync(uri));

        // The edge itself is fine: a good token still connects.
        await using var client = await TestClient.ConnectAsync(Tokens.WithToken(edge.WebSocketUri, Tokens.Mint("dave")));
        Assert.NotEmpty(client.Id);
    }

    [Fact]
    public async Task AnonymousModeNeedsNoToken()
    {
        // The shared edges run with the default, Anonymous (as ./run.sh's host, configured explicitly there).
        await using var client = await fixture.EdgeA.ConnectAsync();
        var info = await fixture.Client.GetConnection(client.Id).GetInfoAsync();
        Assert.Empty(info!.Claims);
    }

    [Fact]
    public async Task JwtModeWithoutAKeyOrAuthorityStopsTheStartWithAMessageNamingTheKey()
    {
        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            fixture.StartEdgeAsync(configureOptions: o =>
            {
                o.Authentication.Mode = AuthenticationMode.Jwt;
                o.Authentication.Audience = "x";
            }));
        Assert.Contains("WsRooms:Authentication", error.Message);
    }

}
