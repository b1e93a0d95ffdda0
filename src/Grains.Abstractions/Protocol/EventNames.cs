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

    /// <summary>
    /// True for the events only the server may send. A client frame carrying one of them is a forgery
    /// and is dropped.
    /// </summary>
    public static bool IsServerOnly(string eventName) => eventName is JoinAck or LeaveAck or NewMember or MemberLeft;

    /// <summary>True for the events a handler may not be registered for: the built-ins and the server-only ones.</summary>
    public static bool IsReserved(string eventName) => eventName is Join or Leave || IsServerOnly(eventName);
}
