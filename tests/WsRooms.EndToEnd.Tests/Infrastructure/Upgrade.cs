using System.Net;
using System.Net.WebSockets;

namespace WsRooms.EndToEnd.Tests.Infrastructure;

/// <summary>What the server answered to a WebSocket upgrade request: 101 when it accepted, else the refusal's status.</summary>
public static class Upgrade
{
    public static async Task<HttpStatusCode> StatusAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            socket.Abort();
        }
        catch (WebSocketException)
        {
            // Refused: the status code below says how.
        }

        return socket.HttpStatusCode;
    }
}
