using WsRooms.Protocol;

namespace WsRooms.Edge.Sessions;

/// <summary>
/// Which protocol a WebSocket upgrade asks for (docs/protocol.md, "Version 2"): v2 when its
/// <c>Sec-WebSocket-Protocol</c> names <see cref="V2SubProtocol"/>, v1 for anything else, so a client that names no
/// subprotocol, or only others, speaks v1 exactly as before.
/// </summary>
internal static class ProtocolNegotiation
{
    /// <summary>The subprotocol of v2; the edge selects it in its 101 answer.</summary>
    public const string V2SubProtocol = "wsrooms.v2";

    /// <summary>The query parameter of a resume socket (<c>/ws?resume=1</c>).</summary>
    public const string ResumeParameter = "resume";

    /// <summary>The version <paramref name="requested"/> (the subprotocols the client offered, in order) selects.</summary>
    public static ProtocolVersion Select(IEnumerable<string> requested)
    {
        // Subprotocol names are compared exactly: RFC 6455 makes them case-sensitive tokens.
        foreach (var name in requested)
        {
            if (string.Equals(name.Trim(), V2SubProtocol, StringComparison.Ordinal))
            {
                return ProtocolVersion.V2;
            }
        }

        return ProtocolVersion.V1;
    }

    /// <summary>The subprotocol the 101 names for <paramref name="version"/>: none for v1, as before.</summary>
    public static string? SubProtocolOf(ProtocolVersion version) => version == ProtocolVersion.V2 ? V2SubProtocol : null;

    /// <summary>True when the query value of <see cref="ResumeParameter"/> asks for a resume socket (<c>1</c>).</summary>
    public static bool IsResume(string? value) => value == "1";
}
