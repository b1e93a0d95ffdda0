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

    /// <summary>Told of an exception thrown by <see cref="OnMessage"/> or <see cref="OnResumed"/>. Default: ignored.</summary>
    public Action<Exception>? OnCallbackError { get; set; }

    /// <summary>Longest wait for the WebSocket upgrade and the server's first frames. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for the server's answer to our close frame before the socket is aborted. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Frame limits checked before sending (and the largest message accepted). Must match the server's.</summary>
    public FrameLimits Limits { get; set; } = FrameLimits.Default;

    /// <summary>Sets anything else on the socket: headers, cookies, an <c>Origin</c>, a proxy, the keep-alive interval.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>
    /// The HTTP invoker every socket of this client connects through; null (the default) lets each socket make its
    /// own. A process that opens thousands of clients shares one, which saves a handler per connection.
    /// </summary>
    public HttpMessageInvoker? HttpInvoker { get; set; }

    /// <summary>
    /// The protocol offered. Default <see cref="ProtocolVersion.V2"/>: the client asks for the <c>wsrooms.v2</c>
    /// subprotocol, and a server that does not select it gives a v1 connection, on which the client behaves as a v1
    /// client (see <see cref="WsRoomsClient.Protocol"/>). <see cref="ProtocolVersion.V1"/> never asks for v2.
    /// </summary>
    public ProtocolVersion Protocol { get; set; } = ProtocolVersion.V2;

    /// <summary>
    /// v2: whether a socket the server or the network dropped is replaced by a resumed one (same id, same rooms,
    /// missed frames replayed, unacknowledged sends sent again). Default true. A v1 connection never reconnects.
    /// </summary>
    public bool Resume { get; set; } = true;

    /// <summary>
    /// Where a resume is tried, in turn, beginning with the endpoint after the one that dropped. Empty (the default):
    /// the endpoint the client connected to. List every edge host (or one load-balanced address) so a resume
    /// survives the death of the edge host the client was on.
    /// </summary>
    public IReadOnlyList<Uri> ResumeUris { get; set; } = [];

    /// <summary>
    /// The wait before the first resume attempt is a random share of this, and it doubles (with jitter) on each
    /// failed attempt. Default 250 ms: quick enough for a dropped phone, and the randomness spreads the thousands
    /// of clients of a dead edge host over time instead of sending them all at once.
    /// </summary>
    public TimeSpan ResumeDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between two resume attempts. Default 5 s.</summary>
    public TimeSpan MaxResumeDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long resume attempts go on after a drop before the client gives up and closes. Null (the default): the
    /// session's grace period, which the server sends (<c>grace_ms</c>), since after it the session is gone anyway.
    /// </summary>
    public TimeSpan? ResumeTimeout { get; set; }

    /// <summary>
    /// v2: how many sends may wait for their acknowledgement at once; a further send waits for one of them.
    /// Default 1024, well inside what a server remembers per session, so every resent frame is still recognised.
    /// </summary>
    public int MaxUnacknowledged { get; set; } = 1024;

    /// <summary>
    /// Told after every resume, on the receive loop and before any frame of the new socket is read: whether the
    /// session resumed, and which rooms replayed everything missed. Default: none.
    /// </summary>
    public Action<WsRoomsResume>? OnResumed { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
        if (Protocol is not (ProtocolVersion.V1 or ProtocolVersion.V2))
        {
            throw new ArgumentOutOfRangeException(nameof(Protocol), Protocol, "Protocol must be V1 or V2.");
        }

        ArgumentNullException.ThrowIfNull(ResumeUris, nameof(ResumeUris));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ResumeDelay, TimeSpan.Zero, nameof(ResumeDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResumeDelay, ResumeDelay, nameof(MaxResumeDelay));
        if (ResumeTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(ResumeTimeout));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnacknowledged, 1, nameof(MaxUnacknowledged));
    }
}
