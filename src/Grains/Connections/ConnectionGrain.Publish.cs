using WsRooms.Delivery;
using WsRooms.Grains.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Grains.Connections;

/// <summary>
/// A v2 session's acknowledged publish (docs/protocol.md, "Acknowledged publish"): its broadcasts and direct messages
/// with their message ids, each delivered once however often the client sends it, and acknowledged every time.
/// </summary>
/// <remarks>
/// The session's calls do not interleave (but <see cref="SendWithPositionAsync"/>, which touches no mid), so a mid is
/// remembered before the next frame of the session is looked at: two sends of one mid cannot both be delivered.
/// </remarks>
internal sealed partial class ConnectionGrain
{
    private MidMemory? _mids;

    private MidMemory Mids => _mids ??= new MidMemory(sessionOptions.Value.MaxMids, sessionOptions.Value.MidRetention, clock);

    public async Task<PublishOutcome> PublishAsync(string room, string @event, byte[] payload, byte[] mid)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(mid);
        if (TryRepeat(mid) is { } repeated)
        {
            return repeated;
        }

        var outcome = await GrainFactory.GetGrain<IRoomGrain>(room).BroadcastAckedAsync(Id, @event, payload, mid);
        if (outcome.Error is null && mid.Length > 0)
        {
            Mids.Remember(mid, room, outcome.Position);
        }

        return outcome;
    }

    public async Task<PublishOutcome> SendDirectAsync(Message message, byte[] mid)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Dst);
        ArgumentNullException.ThrowIfNull(mid);
        if (TryRepeat(mid) is { } repeated)
        {
            return repeated;
        }

        // The recipient's SendWithPositionAsync is interleaved: it answers even while its grain waits on ours.
        var position = await GrainFactory.GetConnection(message.Dst).SendWithPositionAsync(message);
        if (position < 0)
        {
            return PublishOutcome.Refused(ErrorFrames.UnknownDst);
        }

        if (mid.Length > 0)
        {
            Mids.Remember(mid, message.Room, position);
        }

        PostAck(AckFrames.Accepted(message.Room, mid, position));
        return PublishOutcome.Accepted(position);
    }

    /// <summary>A mid the session accepted before: its first ack again, and nothing delivered. Null for a new (or no) mid.</summary>
    private PublishOutcome? TryRepeat(byte[] mid)
    {
        if (mid.Length == 0 || !Mids.TryGet(mid, out var accepted))
        {
            return null;
        }

        PostAck(AckFrames.Accepted(accepted.Room, mid, accepted.Position));
        return PublishOutcome.Accepted(accepted.Position, repeated: true);
    }

    private void PostAck(Message ack)
    {
        if (State.IsOpen && State.EdgeId.Length > 0)
        {
            outbox.Post(State.EdgeId, EdgeDelivery.ToConnection(Id, ack));
        }
    }
}
