using System.Buffers;
using System.Text;

namespace WsRooms.Edge.Transport;

/// <summary>
/// The head of an HTTP/1.1 request that is a WebSocket upgrade of one path, read straight from a connection
/// (<see cref="DirectUpgradeMiddleware"/>). Deliberately narrow: anything it does not recognise is not an upgrade it
/// serves, and the request goes to Kestrel's HTTP/1.1 parser untouched, which answers it as for any request.
/// </summary>
internal sealed class UpgradeRequest
{
    /// <summary>A request head longer than this is left to Kestrel (a browser's WebSocket upgrade is far shorter).</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    private UpgradeRequest(string path, string query, List<KeyValuePair<string, string>> headers, string key)
    {
        Path = path;
        QueryString = query;
        Headers = headers;
        Key = key;
    }

    public string Path { get; }

    /// <summary>The query, with its leading <c>?</c>, or empty.</summary>
    public string QueryString { get; }

    public List<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Sec-WebSocket-Key: 16 bytes, base64.</summary>
    public string Key { get; }

    /// <summary>Where the head ends in <paramref name="buffer"/>, its blank line included; false while it has not arrived.</summary>
    public static bool TryFindEnd(in ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> _, HeadEnd, advancePastDelimiter: true))
        {
            end = reader.Position;
            return true;
        }

        end = default;
        return false;
    }

    /// <summary>
    /// Reads <paramref name="head"/> (request line and headers, through the blank line) as a WebSocket upgrade of
    /// <paramref name="path"/>: <c>GET</c>, HTTP/1.1, an origin-form target on that path with no percent-escapes,
    /// <c>Upgrade: websocket</c>, <c>Connection: upgrade</c>, <c>Sec-WebSocket-Version: 13</c> and a valid key.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> head, string path, out UpgradeRequest? request)
    {
        request = null;
        if (head.Length > MaxHeadBytes)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[(int)head.Length];
        head.CopyTo(bytes);
        if (!Ascii.IsValid(bytes))
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(bytes);
        var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
        var requestLine = text[..lineEnd].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "GET" || requestLine[2] != "HTTP/1.1")
        {
            return false;
        }

        var target = requestLine[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var targetPath = question < 0 ? target : target[..question];
        if (!targetPath.Equals(path, StringComparison.OrdinalIgnoreCase) || target.Contains('%', StringComparison.Ordinal) || target.Contains('#', StringComparison.Ordinal))
        {
            return false;
        }

        var headers = new List<KeyValuePair<string, string>>();
        string? upgrade = null, connection = null, version = null, key = null;
        var hosts = 0;
        foreach (var line in text[(lineEnd + 2)..^4].Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // No obsolete line folding, no empty or padded names, no control characters: Kestrel's to judge.
            if (colon <= 0 || line[0] is ' ' or '\t' || line[colon - 1] is ' ' or '\t' || line.Any(char.IsControl))
            {
                return false;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers.Add(new(name, value));
            switch (name.ToUpperInvariant())
            {
                case "HOST":
                    hosts++;
                    break;
                case "UPGRADE":
                    upgrade = value;
                    break;
                case "CONNECTION":
                    connection = value;
                    break;
                case "SEC-WEBSOCKET-VERSION":
                    version = value;
                    break;
                case "SEC-WEBSOCKET-KEY":
                    key = value;
                    break;
                case "CONTENT-LENGTH" or "TRANSFER-ENCODING":
                    return false; // a body on an upgrade: Kestrel's to judge
            }
        }

        if (hosts != 1
            || !HasToken(upgrade, "websocket")
            || !HasToken(connection, "upgrade")
            || version != "13"
            || !IsKey(key))
        {
            return false;
        }

        request = new UpgradeRequest(targetPath, question < 0 ? "" : target[question..], headers, key!);
        return true;
    }

    private static bool HasToken(string? list, string token)
    {
        if (list is null)
        {
            return false;
        }

        foreach (var part in list.Split(','))
        {
            if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsKey(string? key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key is { Length: 24 } && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }
}
