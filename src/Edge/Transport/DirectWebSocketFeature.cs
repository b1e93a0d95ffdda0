using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace WsRooms.Edge.Transport;

/// <summary>
/// The upgrade, for a request read by <see cref="DirectUpgradeMiddleware"/>: <c>context.WebSockets.AcceptWebSocketAsync</c>
/// writes the 101 response straight to the connection and makes the WebSocket over it (RFC 6455, section 4.2.2).
/// </summary>
internal sealed class DirectWebSocketFeature(ConnectionContext connection, string key, IHttpRequestFeature request) : IHttpWebSocketFeature
{
    private static ReadOnlySpan<byte> KeyGuid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    public bool IsWebSocketRequest => true;

    /// <summary>True once the 101 is on its way: from then on the connection is the WebSocket's.</summary>
    public bool Accepted { get; private set; }

    public async Task<WebSocket> AcceptAsync(WebSocketAcceptContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Accepted)
        {
            throw new InvalidOperationException("The WebSocket was already accepted.");
        }

        Accepted = true;
        var response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ")
            .Append(AcceptValue(key))
            .Append("\r\n");
        if (!string.IsNullOrEmpty(context.SubProtocol))
        {
            response.Append("Sec-WebSocket-Protocol: ").Append(context.SubProtocol).Append("\r\n");
        }

        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(response.Append("\r\n").ToString()), connection.ConnectionClosed).ConfigureAwait(false);

        // What the request said is not needed past the upgrade: let it go rather than keep it for the socket's life
        // (a new, empty dictionary: Clear would keep the old one's arrays).
        request.Headers = new HeaderDictionary();
        return WebSocket.CreateFromStream(new DuplexPipeStream(connection), new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = context.SubProtocol,
            KeepAliveInterval = context.KeepAliveInterval ?? TimeSpan.FromMinutes(2), // ASP.NET Core's default
            KeepAliveTimeout = context.KeepAliveTimeout ?? Timeout.InfiniteTimeSpan,
        });
    }

    internal static string AcceptValue(string key)
    {
        Span<byte> input = stackalloc byte[24 + 36];
        Encoding.ASCII.GetBytes(key, input);
        KeyGuid.CopyTo(input[24..]);
        return Convert.ToBase64String(SHA1.HashData(input));
    }
}
