using System.Text;

namespace WsRooms.Protocol;

/// <summary>
/// Turns the short UTF-8 fields of a frame (room, event, ids) into strings without allocating when the same bytes
/// were seen recently: a fixed table of recent strings, indexed by a hash of the bytes. Every frame of a busy room
/// carries the same room and event names, so parsing then allocates only the payload.
/// </summary>
/// <remarks>
/// Lock-free: a slot holds one immutable entry and is overwritten by the last writer; a reader compares the bytes
/// before using an entry, so a lost race only costs one allocation. The table is bounded (<see cref="Slots"/>
/// entries of at most <see cref="MaxCachedBytes"/> bytes), whatever the traffic.
/// </remarks>
internal static class Utf8StringCache
{
    private const int Slots = 1024;
    private const int MaxCachedBytes = 64;
    private static readonly Entry?[] Table = new Entry?[Slots];

    public static string GetString(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }

        if (utf8.Length > MaxCachedBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = hash.ToHashCode() & (Slots - 1);
        var entry = Volatile.Read(ref Table[slot]);
        if (entry is not null && utf8.SequenceEqual(entry.Bytes))
        {
            return entry.Value;
        }

        var value = Encoding.UTF8.GetString(utf8);
        Volatile.Write(ref Table[slot], new Entry(utf8.ToArray(), value));
        return value;
    }

    private sealed record Entry(byte[] Bytes, string Value);
}
