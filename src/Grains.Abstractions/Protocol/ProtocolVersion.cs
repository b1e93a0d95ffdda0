namespace WsRooms.Protocol;

/// <summary>
/// Which frame a connection speaks (docs/protocol.md): v1, the five fields, unless the connection negotiated the
/// <c>wsrooms.v2</c> subprotocol, whose frames carry a sixth field, <c>meta</c>. Every codec call that takes no
/// version speaks v1.
/// </summary>
public enum ProtocolVersion
{
    /// <summary>Five fields: room, event, dst, src, payload.</summary>
    V1 = 1,

    /// <summary>The five fields of v1, then <c>meta</c>.</summary>
    V2 = 2,
}
