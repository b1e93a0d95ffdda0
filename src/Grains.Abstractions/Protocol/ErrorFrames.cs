using System.Text.Json;

namespace WsRooms.Protocol;

/// <summary>
/// The frame the edge sends a client when it refuses what the client asked, instead of dropping it silently:
/// <c>(room, "wsrooms.error", "", "", {"code":"…","room":"…","event":"…"})</c>. The event name is namespaced so that
/// it does not collide with an application's events; clients cannot send it (such a frame is dropped).
/// </summary>
public static class ErrorFrames
{
    /// <summary>The event of every error frame.</summary>
    public const string EventName = EventNames.Error;

    /// <summary>A join the room rules refused; the client is not a member.</summary>
    public const string JoinDenied = "join_denied";

    /// <summary>A broadcast the room rules refused; it was dropped.</summary>
    public const string PublishDenied = "publish_denied";

    /// <summary>A join past <c>WsRooms:Quotas:MaxRoomsPerConnection</c>; the client is not a member.</summary>
    public const string TooManyRooms = "too_many_rooms";

    /// <summary>A join into a room at <c>WsRooms:Quotas:MaxMembersPerRoom</c>; the client is not a member.</summary>
    public const string RoomFull = "room_full";

    /// <summary>
    /// v2: a join asked for history the room's log no longer holds (<c>{"since": S}</c> older than its oldest frame); the
    /// join took effect all the same, and the client reloads the room's state.
    /// </summary>
    public const string HistoryGone = "history_gone";

    /// <summary>v2 acknowledgement refusal: the sender of a broadcast is not a member of its room.</summary>
    public const string NotMember = "not_member";

    /// <summary>v2 acknowledgement refusal: a direct message's <c>dst</c> names no open connection.</summary>
    public const string UnknownDst = "unknown_dst";

    /// <summary>The error frame for <paramref name="code"/>, about <paramref name="room"/> and the client's <paramref name="event"/>.</summary>
    public static Message Create(string room, string code, string @event) =>
        new(room, EventName, "", "", JsonSerializer.SerializeToUtf8Bytes(new ErrorPayload(code, room, @event), ErrorPayloadContext.Default.ErrorPayload));
}

/// <summary>The payload of an error frame.</summary>
/// <param name="Code">What went wrong: <c>join_denied</c>, <c>publish_denied</c>, <c>too_many_rooms</c>, <c>room_full</c>, <c>history_gone</c>.</param>
/// <param name="Room">The room the client addressed.</param>
/// <param name="Event">The client's event (<c>join</c>, or the broadcast's event).</param>
public sealed record ErrorPayload(
    [property: System.Text.Json.Serialization.JsonPropertyName("code")] string Code,
    [property: System.Text.Json.Serialization.JsonPropertyName("room")] string Room,
    [property: System.Text.Json.Serialization.JsonPropertyName("event")] string Event);

[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorPayload))]
internal sealed partial class ErrorPayloadContext : System.Text.Json.Serialization.JsonSerializerContext;
