using System.Buffers.Text;
using System.Security.Cryptography;

namespace WsRooms.Grains;

/// <summary>
/// Resume tokens of v2 sessions (docs/protocol.md, "Sessions"): the session's id, a dot, and 32 random bytes in
/// base64url. The id part is what lets any edge host find the session's <see cref="IConnectionGrain"/> from the token
/// alone; the random part is the secret, of which the grain keeps only a SHA-256 hash. To clients a token is opaque.
/// </summary>
public static class SessionTokens
{
    /// <summary>Random bytes in a token's secret: enough that guessing one is hopeless.</summary>
    public const int SecretBytes = 32;

    /// <summary>A new token for session <paramref name="sessionId"/>, and the hash of its secret to keep.</summary>
    public static (string Token, byte[] SecretHash) Create(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        return (sessionId + "." + Base64Url.EncodeToString(secret), SHA256.HashData(secret));
    }

    /// <summary>The session id <paramref name="token"/> names, when it has the shape <see cref="Create"/> gives.</summary>
    public static bool TryGetSessionId(string? token, out string sessionId)
    {
        sessionId = "";
        var dot = token?.LastIndexOf('.') ?? -1;
        if (dot <= 0 || dot == token!.Length - 1)
        {
            return false;
        }

        sessionId = token[..dot];
        return true;
    }

    /// <summary>
    /// Whether <paramref name="token"/>'s secret hashes to <paramref name="secretHash"/>, compared in constant time so
    /// the time taken says nothing about how much of it matched.
    /// </summary>
    public static bool Matches(string token, byte[]? secretHash)
    {
        ArgumentNullException.ThrowIfNull(token);
        var dot = token.LastIndexOf('.');
        if (secretHash is null || secretHash.Length != SHA256.HashSizeInBytes || dot < 0)
        {
            return false;
        }

        // Checked before decoding: the decoder throws, rather than failing, on some malformed input.
        var encoded = token.AsSpan(dot + 1);
        Span<byte> secret = stackalloc byte[SecretBytes];
        if (!Base64Url.IsValid(encoded, out var length) || length != SecretBytes
            || !Base64Url.TryDecodeFromChars(encoded, secret, out var written) || written != SecretBytes)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(secret, hash);
        return CryptographicOperations.FixedTimeEquals(hash, secretHash);
    }
}
