using System.Text.Json;

namespace WsRooms.Client;

/// <summary>The payload of <c>wsrooms.session</c> (and the token part of <c>wsrooms.resumed</c>): the resume token and the grace period.</summary>
internal sealed record SessionFrame(string Token, int GraceMs)
{
    /// <summary>The token and grace period in <paramref name="payload"/>; null when it holds no token.</summary>
    public static SessionFrame? Parse(byte[] payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            return Read(json.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The token and grace period of a parsed payload; null when it holds no token.</summary>
    public static SessionFrame? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object ||
            !root.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String || token.GetString() is not { Length: > 0 } value)
        {
            return null;
        }

        var grace = root.TryGetProperty("grace_ms", out var g) && g.TryGetInt32(out var ms) && ms > 0 ? ms : 0;
        return new SessionFrame(value, grace);
    }
}
