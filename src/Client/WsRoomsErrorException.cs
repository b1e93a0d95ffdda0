namespace WsRooms.Client;

/// <summary>
/// The server refused what this client asked: a <c>wsrooms.error</c> answering a join (<c>join_denied</c>,
/// <c>too_many_rooms</c>, <c>room_full</c>), or a v2 acknowledgement refusing a send (<c>not_member</c>,
/// <c>publish_denied</c>, <c>unknown_dst</c>, …). See docs/protocol.md.
/// </summary>
public sealed class WsRoomsErrorException : Exception
{
    /// <summary>A refusal with no code (for serializers and tests).</summary>
    public WsRoomsErrorException()
        : this("", "", "")
    {
    }

    /// <summary>A refusal described by <paramref name="message"/>.</summary>
    public WsRoomsErrorException(string? message)
        : this(message, null)
    {
    }

    /// <summary>A refusal described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public WsRoomsErrorException(string? message, Exception? innerException)
        : base(message, innerException)
    {
        Code = Room = Event = "";
    }

    /// <summary>The server's refusal <paramref name="code"/> of <paramref name="event"/> in <paramref name="room"/>.</summary>
    public WsRoomsErrorException(string code, string room, string @event)
        : base($"The server refused {(@event.Length == 0 ? "the request" : "'" + @event + "'")} in room '{room}': {code}.")
    {
        Code = code;
        Room = room;
        Event = @event;
    }

    /// <summary>The server's code, e.g. <c>join_denied</c> or <c>not_member</c>.</summary>
    public string Code { get; }

    /// <summary>The room the refused frame addressed.</summary>
    public string Room { get; }

    /// <summary>The refused frame's event (<c>join</c>, or the send's event).</summary>
    public string Event { get; }
}
