using WsRooms.Edge.Limits;
using WsRooms.Edge.Security;
using WsRooms.Protocol;

namespace WsRooms.Edge;

/// <summary>
/// Settings of one edge host, bound from configuration section <c>WsRooms</c> and validated at start-up.
/// Each default is documented on its property; the protocol's own limits are in docs/protocol.md.
/// </summary>
public sealed class WsRoomsEdgeOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "WsRooms";

    /// <summary>
    /// This edge host's id: the key of the stream it receives on. Empty (the default) means a fresh id per process
    /// start, so a restarted edge never receives what was meant for the sockets its predecessor held.
    /// </summary>
    public string EdgeId { get; set; } = "";

    /// <summary>Frames each connection may have waiting to be sent. Past it the connection is closed with 1013. Default 256: room for a burst, little memory per idle connection.</summary>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>How often the server pings an idle connection. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a ping the pong may take before the socket is dropped. Default 30 s, so a connection silent
    /// for interval + timeout (60 s) is closed.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Announce connects and disconnects on <c>root</c> (<c>new_member</c>/<c>member_left</c>) and list every
    /// connection in root's <c>join_ack</c>. Off by default: it makes N connects cost O(N²) frames.
    /// </summary>
    public bool RootPresence { get; set; }

    /// <summary>
    /// Origins allowed to open a WebSocket. Empty (the default) means the edge host's own origin only; <c>*</c>
    /// allows every origin. A request without an Origin header (not a browser) always passes.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long a closing connection may take to finish its close handshake before it is aborted. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for every connection to close (1001) and leave its rooms. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one grain call from the receive loop may take before the frame is given up. Default 10 s.</summary>
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Serve WebSocket upgrades of the WsRooms path straight from Kestrel's connection, without an ASP.NET Core
    /// request staying alive under each socket: about a third less memory per idle connection and a cheaper connect.
    /// Requests to the path then skip the application's own middleware (readiness, origin, the authorization hook
    /// and the limits still apply); plain-HTTP endpoints only (terminate TLS in front). Off by default.
    /// </summary>
    public bool DirectUpgrade { get; set; }

    /// <summary>Frame size limits (<c>WsRooms:Limits</c>).</summary>
    public FrameLimits Limits { get; set; } = new();

    /// <summary>Who may connect: Anonymous or JWT (<c>WsRooms:Authentication</c>).</summary>
    public WsRoomsAuthenticationOptions Authentication { get; set; } = new();

    /// <summary>Who may join and publish to which rooms (<c>WsRooms:Rooms</c>).</summary>
    public RoomAuthorizationOptions Rooms { get; set; } = new();

    /// <summary>Abuse limits: rooms, members, rates, connections (<c>WsRooms:Quotas</c>); all off by default.</summary>
    public QuotaOptions Quotas { get; set; } = new();

    internal IEnumerable<string> Validate()
    {
        if (SendQueueCapacity < 1)
        {
            yield return $"WsRooms:SendQueueCapacity must be at least 1 (was {SendQueueCapacity}).";
        }

        foreach (var (key, value) in new[] { ("KeepAliveInterval", KeepAliveInterval), ("KeepAliveTimeout", KeepAliveTimeout) })
        {
            if (value < TimeSpan.Zero)
            {
                yield return $"WsRooms:{key} must not be negative; zero turns it off (was {value}).";
            }
        }

        foreach (var (key, value) in new[] { ("CloseTimeout", CloseTimeout), ("DrainTimeout", DrainTimeout), ("GrainCallTimeout", GrainCallTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return $"WsRooms:{key} must be positive (was {value}).";
            }
        }

        string? limitsError = null;
        try
        {
            Limits.Validate();
        }
        catch (InvalidOperationException e)
        {
            limitsError = "WsRooms:Limits: " + e.Message;
        }

        if (limitsError is not null)
        {
            yield return limitsError;
        }

        foreach (var error in Authentication.Validate().Concat(Rooms.Validate()).Concat(Quotas.Validate(Limits.MaxMessageBytes)))
        {
            yield return error;
        }
    }
}
