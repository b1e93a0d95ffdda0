using System.Net.WebSockets;

namespace WsRooms.Protocol;

/// <summary>The WebSocket close codes the protocol uses, by what they mean (docs/protocol.md).</summary>
public static class CloseCodes
{
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;                 // 1000
    public const WebSocketCloseStatus ShuttingDown = WebSocketCloseStatus.EndpointUnavailable;     // 1001
    public const WebSocketCloseStatus MalformedFrame = WebSocketCloseStatus.ProtocolError;         // 1002
    public const WebSocketCloseStatus TextMessage = WebSocketCloseStatus.InvalidMessageType;       // 1003
    public const WebSocketCloseStatus InvalidUtf8 = WebSocketCloseStatus.InvalidPayloadData;       // 1007
    public const WebSocketCloseStatus PolicyViolation = WebSocketCloseStatus.PolicyViolation;      // 1008
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;          // 1009
    public const WebSocketCloseStatus InternalError = WebSocketCloseStatus.InternalServerError;    // 1011

    /// <summary>1012 "service restart": the edge host lost its lease to the cluster; the client reconnects (v2: resumes).</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    /// <summary>1013 "try again later": the connection's send queue overflowed (slow consumer).</summary>
    public const WebSocketCloseStatus SlowConsumer = (WebSocketCloseStatus)1013;

    /// <summary>4001, v2: the session was resumed on another socket, and this older one of it is closed.</summary>
    public const WebSocketCloseStatus SessionResumed = (WebSocketCloseStatus)4001;
}
