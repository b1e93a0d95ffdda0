using WsRooms.Protocol;

namespace WsRooms.Grains;

/// <summary>The server-side API in one place, for services that push to WebSocket clients.</summary>
public static class WsRoomsGrainFactoryExtensions
{
    /// <summary>The grain of room <paramref name="room"/>.</summary>
    public static IRoomGrain GetRoom(this IGrainFactory grains, string room) => grains.GetGrain<IRoomGrain>(room);

    /// <summary>The grain of connection <paramref name="connectionId"/>.</summary>
    public static IConnectionGrain GetConnection(this IGrainFactory grains, string connectionId) =>
        grains.GetGrain<IConnectionGrain>(connectionId);

    /// <summary>Publishes a UTF-8 text payload to every member of <paramref name="room"/>.</summary>
    public static Task PublishTextAsync(this IRoomGrain room, string @event, string payload, string src = "") =>
        room.PublishAsync(@event, System.Text.Encoding.UTF8.GetBytes(payload), src);

    /// <summary>
    /// Publishes a UTF-8 text payload to every member of <paramref name="room"/> and returns its position in the
    /// room's log (0 for <c>root</c>).
    /// </summary>
    public static Task<long> PublishTextWithPositionAsync(this IRoomGrain room, string @event, string payload, string src = "") =>
        room.PublishWithPositionAsync(@event, System.Text.Encoding.UTF8.GetBytes(payload), src);

    /// <summary>
    /// Sends <c>(room, event, connectionId, src, payload)</c> to one connection.
    /// Returns false when the connection is unknown.
    /// </summary>
    public static Task<bool> SendToConnectionAsync(this IGrainFactory grains, string connectionId, string @event, byte[] payload, string room = EventNames.RootRoom, string src = "") =>
        grains.GetConnection(connectionId).SendAsync(new Message(room, @event, connectionId, src, payload));

    /// <summary>
    /// Resumes the session the request's token names (<see cref="IConnectionGrain.ResumeAsync"/>); a token of any other
    /// shape is an unknown token, and no grain is called.
    /// </summary>
    public static Task<SessionResume> ResumeSessionAsync(this IGrainFactory grains, SessionResumeRequest request) =>
        SessionTokens.TryGetSessionId(request.Token, out var sessionId)
            ? grains.GetConnection(sessionId).ResumeAsync(request)
            : Task.FromResult(SessionResume.Refused(ResumeOutcome.UnknownToken));
}
