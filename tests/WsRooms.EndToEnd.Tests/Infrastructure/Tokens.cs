using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WsRooms.Edge;
using WsRooms.Edge.Security;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>Mints JWTs with a symmetric test key, and configures an edge to accept them.</summary>
public static class Tokens
{
    public const string Issuer = "https://issuer.wsrooms.test";
    public const string Audience = "wsrooms-tests";

    public static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public static void UseJwt(WsRoomsEdgeOptions options)
    {
        options.Authentication.Mode = AuthenticationMode.Jwt;
        options.Authentication.Issuer = Issuer;
        options.Authentication.Audience = Audience;
        options.Authentication.SigningKey = SigningKey;
    }

    public static string Mint(
        string subject,
        IDictionary<string, object>? claims = null,
        DateTime? expires = null,
        string issuer = Issuer,
        string audience = Audience,
        string? signingKey = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Claims = claims,
            NotBefore = (expires ?? now.AddMinutes(10)) < now ? now.AddHours(-2) : now.AddMinutes(-1),
            IssuedAt = (expires ?? now.AddMinutes(10)) < now ? now.AddHours(-2) : now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Convert.FromBase64String(signingKey ?? SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public static Uri WithToken(Uri webSocketUri, string token) => new($"{webSocketUri}?access_token={Uri.EscapeDataString(token)}");
}
