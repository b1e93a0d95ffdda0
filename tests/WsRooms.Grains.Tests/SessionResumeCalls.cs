namespace WsRooms.Grains.Tests;

/// <summary>The resume call the tests make: a token, an identity, the new edge, the client's positions.</summary>
internal static class SessionResumeCalls
{
    /// <summary>
    /// <see cref="WsRoomsGrainFactoryExtensions.ResumeSessionAsync"/> with a request built from its parts: no room
    /// positions unless <paramref name="rooms"/> names some, so nothing of a room is replayed.
    /// </summary>
    public static Task<SessionResume> ResumeSessionAsync(
        this IGrainFactory grains,
        string token,
        string identity,
        string edgeId,
        long? directAfter,
        IReadOnlyDictionary<string, long>? rooms = null) =>
        grains.ResumeSessionAsync(new SessionResumeRequest(token, identity, edgeId, rooms ?? new Dictionary<string, long>(), directAfter));
}
