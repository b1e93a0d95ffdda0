using System.Text.Json;
using WsRooms.Grains;

namespace WsRooms.Edge.Sessions;

/// <summary>
/// The history a v2 <c>join</c>'s payload asks for (docs/protocol.md, "History on join"): <c>{"history": N}</c>, the
/// last N frames (N at least 1, at most <see cref="MaxCount"/>: more is read as <see cref="MaxCount"/>), or
/// <c>{"since": S}</c>, every frame after position S (S at least 0). Any other payload (empty, not a JSON object,
/// both or neither of the two, a number out of range) asks for none: the join is a plain join, as in v1.
/// </summary>
internal static class JoinHistoryRequest
{
    /// <summary>The most frames <c>{"history": N}</c> sends: a room log's default retention.</summary>
    public const int MaxCount = 1000;

    /// <summary>The history <paramref name="payload"/> asks for, or null for none.</summary>
    public static JoinHistory? Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload[0] != (byte)'{')
        {
            return null; // the browser client's join carries its id: not JSON, no history
        }

        long? count = null, since = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCount = reader.ValueTextEquals("history"u8);
                var isSince = reader.ValueTextEquals("since"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isCount || isSince)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || (isCount ? count : since) is not null)
                    {
                        return null;
                    }

                    (isCount ? ref count : ref since) = value;
                }
                else
                {
                    reader.Skip(); // other properties are the application's
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return (count, since) switch
        {
            ({ } n, null) when n >= 1 => JoinHistory.Last((int)Math.Min(n, MaxCount)),
            (null, { } s) when s >= 0 => JoinHistory.After(s),
            _ => null,
        };
    }
}
