namespace WsRooms.Grains.Sessions;

/// <summary>
/// The message ids (<c>mid</c>) one v2 session had accepted, each with the room and position its first ack named, so
/// that a frame sent again (after a resume, say) is acknowledged again instead of delivered twice (docs/protocol.md,
/// "Acknowledged publish"). Scoped to the session: across rooms, direct messages and resumes.
/// </summary>
/// <remarks>
/// Bounded by count and by age, oldest first; both are checked when a mid is looked up or remembered. In memory, with
/// the connection grain's activation. Not thread-safe: its grain's turns are its only caller.
/// </remarks>
internal sealed class MidMemory(int maxMids, TimeSpan retention, TimeProvider clock)
{
    private readonly Dictionary<string, AcceptedMid> _accepted = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long At)> _order = new();

    /// <summary>Mids remembered.</summary>
    public int Count => _accepted.Count;

    /// <summary>What the first ack of <paramref name="mid"/> named, if the session accepted it within the bounds.</summary>
    public bool TryGet(ReadOnlySpan<byte> mid, out AcceptedMid accepted)
    {
        Expire();
        return _accepted.TryGetValue(KeyOf(mid), out accepted);
    }

    /// <summary>Remembers that <paramref name="mid"/> was accepted at <paramref name="position"/> of <paramref name="room"/>'s log.</summary>
    public void Remember(ReadOnlySpan<byte> mid, string room, long position)
    {
        Expire();
        var key = KeyOf(mid);
        if (!_accepted.TryAdd(key, new AcceptedMid(room, position)))
        {
            return;
        }

        _order.Enqueue((key, clock.GetTimestamp()));
        while (_accepted.Count > maxMids)
        {
            _accepted.Remove(_order.Dequeue().Key);
        }
    }

    // Latin-1 maps each byte to one char: the key is the mid's bytes exactly, whatever they are.
    private static string KeyOf(ReadOnlySpan<byte> mid) => System.Text.Encoding.Latin1.GetString(mid);

    private void Expire()
    {
        var now = clock.GetTimestamp();
        while (_order.Count > 0 && clock.GetElapsedTime(_order.Peek().At, now) > retention)
        {
            _accepted.Remove(_order.Dequeue().Key);
        }
    }
}

/// <summary>Where an accepted mid's frame was logged: its room (for a direct message, the message's room) and its position.</summary>
internal readonly record struct AcceptedMid(string Room, long Position);
