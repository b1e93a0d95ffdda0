namespace WsRooms.Edge.Security;

/// <summary>How clients prove who they are before the upgrade (<c>WsRooms:Authentication</c>).</summary>
public enum AuthenticationMode
{
    /// <summary>Everyone connects, with no claims. Only when configured so (the default host for <c>./run.sh</c>).</summary>
    Anonymous = 0,

    /// <summary>A JWT bearer token is required: <c>Authorization: Bearer …</c>, or <c>?access_token=…</c> on the WebSocket path.</summary>
    Jwt = 1,
}

/// <summary>
/// The built-in authorization hooks, bound from <c>WsRooms:Authentication</c>. A hook set with
/// <c>WsRoomsBuilder.UseAuthorization</c> takes precedence over the mode.
/// </summary>
public sealed class WsRoomsAuthenticationOptions
{
    /// <summary><see cref="AuthenticationMode.Anonymous"/> (default) or <see cref="AuthenticationMode.Jwt"/>.</summary>
    public AuthenticationMode Mode { get; set; } = AuthenticationMode.Anonymous;

    /// <summary>The expected <c>iss</c>. Required with a <see cref="SigningKey"/>; with an <see cref="Authority"/> the metadata's issuer is used when empty.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The expected <c>aud</c>. Required in Jwt mode.</summary>
    public string Audience { get; set; } = "";

    /// <summary>A symmetric HMAC key, base64 (at least 32 bytes): for development and tests. Production uses <see cref="Authority"/>.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>An OpenID Connect authority (the identity provider): its signing keys and issuer come from its metadata.</summary>
    public string Authority { get; set; } = "";

    /// <summary>The metadata document's address, when it is not <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string MetadataAddress { get; set; } = "";

    /// <summary>Whether the metadata must come over HTTPS. Default true; turn off only for a local identity provider.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c>. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The query parameter a browser passes the token in (browsers cannot set headers on a WebSocket). Read on the
    /// WebSocket endpoint only. Default <c>access_token</c>; empty turns it off.
    /// </summary>
    public string QueryParameter { get; set; } = "access_token";

    internal IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return $"WsRooms:Authentication:Mode must be Anonymous or Jwt (was {Mode}).";
            yield break;
        }

        if (Mode != AuthenticationMode.Jwt)
        {
            yield break;
        }

        if (SigningKey.Length == 0 && Authority.Length == 0 && MetadataAddress.Length == 0)
        {
            yield return "WsRooms:Authentication:SigningKey (base64) or WsRooms:Authentication:Authority (or MetadataAddress) is required when WsRooms:Authentication:Mode is Jwt.";
        }

        if (SigningKey.Length > 0)
        {
            byte[]? key = null;
            try
            {
                key = Convert.FromBase64String(SigningKey);
            }
            catch (FormatException)
            {
            }

            if (key is null || key.Length < 32)
            {
                yield return $"WsRooms:Authentication:SigningKey must be base64 of at least 32 bytes (was {(key is null ? "not base64" : $"{key.Length} bytes")}).";
            }

            if (Issuer.Length == 0)
            {
                yield return "WsRooms:Authentication:Issuer is required with WsRooms:Authentication:SigningKey.";
            }
        }

        if (Audience.Length == 0)
        {
            yield return "WsRooms:Authentication:Audience is required when WsRooms:Authentication:Mode is Jwt.";
        }

        if (ClockSkew < TimeSpan.Zero)
        {
            yield return $"WsRooms:Authentication:ClockSkew must not be negative (was {ClockSkew}).";
        }
    }
}
