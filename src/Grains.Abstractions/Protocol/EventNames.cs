namespace WsRooms.Protocol;

/// <summary>The event and room names the protocol gives a meaning to (see docs/protocol.md).</summary>
public static class EventNames
{
    /// <summary>The room every connection is in from its first frame to its last.</summary>
    public const string RootRoom = "root";

    /// <summary>Client → server: join the frame's room.</summary>
    public const string Join = "join";

    /// <summary>Client → server: leave the frame's room.</summary>
    public const string Leave = "leave";

    /// <summary>Server → client: you are in the room; the payload is a JSON array of every member id.</summary>
    public const string JoinAck = "join_ack";

    /// <summary>Server → client: you left the room; the payload is your id.</summary>
    public const string LeaveAck = "leave_ack";

    /// <summary>Server → client: another connection joined the room; the payload is its id.</summary>
    public const string NewMember = "new_member";

    /// <summary>Server → client: another connection left the room; the payload is its id.</summary>
    public const string MemberLeft = "member_left";

    /// <summary>The prefix of every name the protocol reserves for itself (v2, "Reserved names"); clients may not send such events.</summary>
    public const string ReservedPrefix = "wsrooms.";

    /// <summary>Server → client: a refusal, <c>{"code": …, "room": …, "event": …}</c> (see <see cref="ErrorFrames"/>).</summary>
    public const string Error = "wsrooms.error";

    /// <summary>Server → v2 client, right after root's join_ack: <c>{"token": …, "grace_ms": …}</c>, the session's resume token.</summary>
    public const string Session = "wsrooms.session";

    /// <summary>v2 client → server, the first frame of a resume socket: <c>{"token": …, "rooms": {room: seq}, "direct": seq}</c>.</summary>
    public const string Resume = "wsrooms.resume";

    /// <summary>Server → v2 client, after a resume's join_ack: <c>{"resumed": …, "token": …, "grace_ms": …, "rooms": {room: bool}, "direct": bool}</c>.</summary>
    public const string Resumed = "wsrooms.resumed";

    /// <summary>Server → v2 client: its broadcast or direct message is logged, <c>{"mid": …, "seq": …}</c> or <c>{"mid": …, "error": …}</c> (see <see cref="AckFrames"/>).</summary>
    public const string Ack = "wsrooms.ack";

    /// <summary>True for a name in the protocol's reserved namespace (<see cref="ReservedPrefix"/>).</summary>
    public static bool IsProtocolReserved(string eventName) => eventName.StartsWith(ReservedPrefix, StringComparison.Ordinal);

    /// <summary>
    /// True for the events only the server may send. A client frame carrying one of them is a forgery
    /// and is dropped.
    /// </summary>
    public static bool IsServerOnly(string eventName) => eventName is JoinAck or LeaveAck or NewMember or MemberLeft;

    /// <summary>True for the events a handler may not be registered for: the built-ins and the server-only ones.</summary>
    public static bool IsReserved(string eventName) => eventName is Join or Leave || IsServerOnly(eventName);
}
