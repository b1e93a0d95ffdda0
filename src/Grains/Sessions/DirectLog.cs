using WsRooms.Grains.RoomLogs;
using WsRooms.Protocol;

namespace WsRooms.Grains.Sessions;

/// <summary>
/// One session's direct messages, each at a position one above the previous, the last <c>maxFrames</c> of them kept
/// for a resume. In memory: it goes with the connection grain's activation, and the next one begins above every
/// earlier position (<see cref="RoomLog.FirstPositionAt"/>), as a room log does.
/// </summary>
internal sealed class DirectLog(long firstPosition, int maxFrames)
{
    private readonly Queue<LoggedFrame> _frames = new();
    private readonly long _firstPosition = firstPosition;
    private long _nextPosition = firstPosition;

    /// <summary>The position of the last message appended; the one just below the first before any.</summary>
    public long LastPosition => _nextPosition - 1;

    /// <summary>Logs <paramref name="message"/>, dropping the oldest past the bound, and returns its position.</summary>
    public long Append(Message message)
    {
        var position = _nextPosition++;
        _frames.Enqueue(new LoggedFrame(position, message));
        if (_frames.Count > maxFrames)
        {
            _frames.Dequeue();
        }

        return position;
    }

    /// <summary>
    /// Every message after <paramref name="after"/>, oldest first; not complete when the log no longer reaches back to
    /// <c>after + 1</c>. Positions are never 0 or below, so such an <paramref name="after"/> is a client that has
    /// received no direct message: everything since the log began, complete while the log has dropped none.
    /// </summary>
    public RoomHistory ReadAfter(long after)
    {
        if (after <= 0)
        {
            after = _firstPosition - 1;
        }

        var oldest = _frames.Count == 0 ? _nextPosition : _frames.Peek().Position;
        var complete = oldest <= after + 1 && after <= LastPosition;
        return new RoomHistory([.. _frames.Where(f => f.Position > after)], complete, LastPosition, oldest);
    }
}
