using System.Diagnostics;

namespace WsRooms.LoadGen;

/// <summary>
/// The measured payload, ASCII so that both protocols carry the very same bytes (Socket.IO as a JSON string):
/// <c>P{phase:D3}S{sender:D7}Q{seq:D10}T{stopwatch ticks:D19}</c>, then 'x' up to the payload size.
/// The phase lets a receiver ignore stragglers of a previous step; the timestamp is this process's
/// <see cref="Stopwatch"/> taken just before the send call, so latency needs no clock sync.
/// </summary>
internal static class Payload
{
    public const int MinSize = 43;
    private const int PhaseAt = 1, SenderAt = 5, SeqAt = 13, TicksAt = 24;

    public static void Write(Span<byte> destination, int phase, int sender, long seq, long ticks)
    {
        destination[0] = (byte)'P';
        WriteDigits(destination.Slice(PhaseAt, 3), phase);
        destination[4] = (byte)'S';
        WriteDigits(destination.Slice(SenderAt, 7), sender);
        destination[12] = (byte)'Q';
        WriteDigits(destination.Slice(SeqAt, 10), seq);
        destination[23] = (byte)'T';
        WriteDigits(destination.Slice(TicksAt, 19), ticks);
        destination[MinSize..].Fill((byte)'x');
    }

    /// <summary>Reads the header; false when the bytes are not one of ours.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out int phase, out int sender, out long seq, out long ticks)
    {
        phase = sender = 0;
        seq = ticks = 0;
        if (payload.Length < MinSize || payload[0] != 'P' || payload[4] != 'S' || payload[12] != 'Q' || payload[23] != 'T')
        {
            return false;
        }

        phase = (int)ReadDigits(payload.Slice(PhaseAt, 3));
        sender = (int)ReadDigits(payload.Slice(SenderAt, 7));
        seq = ReadDigits(payload.Slice(SeqAt, 10));
        ticks = ReadDigits(payload.Slice(TicksAt, 19));
        return true;
    }

    private static void WriteDigits(Span<byte> destination, long value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private static long ReadDigits(ReadOnlySpan<byte> digits)
    {
        long value = 0;
        foreach (var d in digits)
        {
            value = (value * 10) + (d - '0');
        }

        return value;
    }
}
