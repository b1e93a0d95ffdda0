using System.Globalization;
using WsRooms.Protocol;

namespace WsRooms.ResumeStorm;

/// <summary>
/// What one session received of its room's publishes: each publish's sequence number, counted once, more than once
/// (doubled) or out of order. Only the session's own receive loop writes it.
/// </summary>
internal sealed class StormMember(int room)
{
    public const string DataEvent = "s";
    private readonly List<byte> _seen = [];
    private int _next;

    public int Room { get; } = room;

    public int Distinct { get; private set; }

    public int Doubled { get; private set; }

    public int OutOfOrder { get; private set; }

    /// <summary>Set once, when the session resumed (or found its session gone), in Stopwatch ticks.</summary>
    public long ResumedAt { get; set; }

    public bool Resumed { get; set; }

    public int Attempts { get; set; }

    public ValueTask OnMessage(Message message, CancellationToken cancellationToken)
    {
        if (message.Event == DataEvent && int.TryParse(message.PayloadText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            lock (_seen)
            {
                while (_seen.Count <= seq)
                {
                    _seen.Add(0);
                }

                if (_seen[seq]++ > 0)
                {
                    Doubled++;
                }
                else
                {
                    Distinct++;
                    if (seq < _next)
                    {
                        OutOfOrder++;
                    }
                }

                _next = Math.Max(_next, seq + 1);
            }
        }

        return ValueTask.CompletedTask;
    }
}
