using Microsoft.AspNetCore.Http;

namespace WsRooms.Edge.Security;

/// <summary>
/// The authorization hook: request → claims, or failure (answered 401 before the
/// upgrade). Register one with <c>WsRoomsBuilder.UseAuthorization</c>; the default lets everyone in with no claims.
/// </summary>
public delegate ValueTask<AuthorizeResult> WsRoomsAuthorize(HttpContext context);

/// <summary>What the authorization hook decided.</summary>
public sealed class AuthorizeResult
{
    private static readonly IReadOnlyDictionary<string, string> NoClaims = new Dictionary<string, string>();

    private AuthorizeResult(bool succeeded, IReadOnlyDictionary<string, string> claims, string? failure)
    {
        Succeeded = succeeded;
        Claims = claims;
        Failure = failure;
    }

    /// <summary>True when the client may connect.</summary>
    public bool Succeeded { get; }

    /// <summary>The connection's claims when it succeeded.</summary>
    public IReadOnlyDictionary<string, string> Claims { get; }

    /// <summary>Why it failed, for the log (the client only sees 401).</summary>
    public string? Failure { get; }

    /// <summary>Let the client in with <paramref name="claims"/>.</summary>
    public static AuthorizeResult Allow(IReadOnlyDictionary<string, string>? claims = null) => new(true, claims ?? NoClaims, null);

    /// <summary>Refuse the client (401).</summary>
    public static AuthorizeResult Deny(string reason) => new(false, NoClaims, reason);

    /// <summary>The default hook: anonymous, no claims.</summary>
    public static ValueTask<AuthorizeResult> Anonymous(HttpContext context) => ValueTask.FromResult(Allow());
}
