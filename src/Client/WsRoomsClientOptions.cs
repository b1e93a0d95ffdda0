using System.Net.WebSockets;
using WsRooms.Protocol;

namespace WsRooms.Client;

/// <summary>Options of a <see cref="WsRoomsClient"/>. Every default is fit for a service or a test.</summary>
public sealed class WsRoomsClientOptions
{
    /// <summary>
    /// Messages received and not yet read from <see cref="WsRoomsClient.Messages"/>. Default 1024. When the queue is
    /// full the client stops reading the socket until the application reads again, so the server's slow-consumer
    /// rule applies: once 256 frames wait for this connection on the edge host it is closed with 1013.
    /// </summary>
    public int ReceiveQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Called for every message instead of queuing it for <see cref="WsRoomsClient.Messages"/>. Awaited on the receive
    /// loop, one message at a time and in order: a slow callback slows reading exactly like a full queue. An exception
    /// it throws is passed to <see cref="OnCallbackError"/> and the connection stays open.
    /// </summary>
    public Func<Message, CancellationToken, ValueTask>? OnMessage { get; set; }

    /// <summary>Told of an exception thrown by <see cref="OnMessage"/>. Default: ignored.</summary>
    public Action<Exception>? OnCallbackError { get; set; }

    /// <summary>Longest wait for the WebSocket upgrade and root's join_ack. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for the server's answer to our close frame before the socket is aborted. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Frame limits checked before sending (and the largest message accepted). Must match the server's.</summary>
    public FrameLimits Limits { get; set; } = FrameLimits.Default;

    /// <summary>Sets anything else on the socket: headers, cookies, an <c>Origin</c>, a proxy, the keep-alive interval.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
    }
}
