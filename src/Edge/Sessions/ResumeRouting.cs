using WsRooms.Delivery;

namespace WsRooms.Edge.Sessions;

/// <summary>
/// Which socket of a session a delivery for it goes to while a resume is under way on this edge host
/// (docs/architecture.md, "Resume on the edge"): the session may have two sockets here at once, the current one (open,
/// perhaps about to be superseded) and the resuming one (held, not sending yet). The grains post a resume's
/// deliveries from two places (the session's grain, and each room's grain), so their order on the stream holds only
/// per poster; these rules make every order come out right.
/// </summary>
internal static class ResumeRouting
{
    /// <summary>
    /// The socket a delivery carrying <paramref name="change"/> goes to, of <paramref name="current"/> and
    /// <paramref name="resuming"/> (either may be null). A room's move and its replay go to the resuming socket, which
    /// they are for; everything else goes to the current socket, which the client still reads, until the resuming one
    /// is promoted. <see cref="MembershipChange.Superseded"/> is not routed: it closes the current socket.
    /// </summary>
    public static T? Target<T>(MembershipChange change, T? current, T? resuming)
        where T : class =>
        change is MembershipChange.Moved or MembershipChange.Replayed ? resuming ?? current : current ?? resuming;
}
