using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace WsRooms.Edge.Security;

/// <summary>
/// The built-in JWT hook (<c>WsRooms:Authentication:Mode = Jwt</c>): ASP.NET Core's JwtBearer handler under its own
/// scheme, which only the WebSocket endpoint invokes. The token comes from <c>Authorization: Bearer</c> or, because a
/// browser cannot set headers on a WebSocket, from the <c>access_token</c> query parameter of an upgrade request.
/// The token's claims become the connection's claims (JWT names kept: <c>sub</c>, <c>rooms</c>, …; a claim given more
/// than once, e.g. a JSON array, is joined with spaces).
/// </summary>
internal static class JwtAuthorization
{
    /// <summary>The authentication scheme WsRooms registers; the application's own schemes are untouched.</summary>
    public const string Scheme = "WsRooms.Jwt";

    public static void AddServices(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(JwtMarker)))
        {
            return;
        }

        services.AddSingleton<JwtMarker>();
        services.AddAuthentication().AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme)
            .Configure<IOptions<WsRoomsEdgeOptions>>((jwt, edge) => Configure(jwt, edge.Value.Authentication));
    }

    /// <summary>The hook: 401 (Deny) for a missing, malformed, badly signed, expired or misaddressed token.</summary>
    public static async ValueTask<AuthorizeResult> AuthorizeAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(Scheme).ConfigureAwait(false);
        if (!result.Succeeded || result.Principal is null)
        {
            return AuthorizeResult.Deny(result.Failure?.Message ?? "no bearer token");
        }

        return AuthorizeResult.Allow(ToClaims(result.Principal));
    }

    internal static Dictionary<string, string> ToClaims(ClaimsPrincipal principal)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var claim in principal.Claims)
        {
            claims[claim.Type] = claims.TryGetValue(claim.Type, out var existing) ? existing + " " + claim.Value : claim.Value;
        }

        return claims;
    }

    private static void Configure(JwtBearerOptions jwt, WsRoomsAuthenticationOptions options)
    {
        jwt.MapInboundClaims = false; // keep "sub", "rooms": the names the room rules and limits refer to
        jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        if (options.Authority.Length > 0)
        {
            jwt.Authority = options.Authority;
        }

        if (options.MetadataAddress.Length > 0)
        {
            jwt.MetadataAddress = options.MetadataAddress;
        }

        jwt.Audience = options.Audience;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = options.Issuer.Length > 0 ? options.Issuer : null,
            ValidateAudience = true,
            ValidAudience = options.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = options.ClockSkew,
            IssuerSigningKey = options.SigningKey.Length > 0 ? new SymmetricSecurityKey(Convert.FromBase64String(options.SigningKey)) : null,
        };

        var queryParameter = options.QueryParameter;
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                // Only an upgrade request may carry its token in the URL (browsers cannot set the header there).
                if (string.IsNullOrEmpty(context.Token)
                    && queryParameter.Length > 0
                    && IsWebSocketUpgrade(context.HttpContext)
                    && context.Request.Query.TryGetValue(queryParameter, out var token))
                {
                    context.Token = token.ToString();
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// An upgrade to a WebSocket, read from the request itself: the WebSockets middleware may not have run yet (ASP.NET
    /// Core's automatic authentication middleware authenticates the default scheme, which this one is when it is the
    /// only one, at the start of the pipeline).
    /// </summary>
    private static bool IsWebSocketUpgrade(HttpContext context)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase); // HTTP/2
        }

        return HttpMethods.IsGet(context.Request.Method)
            && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Marks that the scheme is registered, so AddWsRooms called twice registers it once.</summary>
    private sealed class JwtMarker;
}
