namespace WsRooms.Edge.Connections;

/// <summary>
/// The frames waiting to be sent, oldest first. The oldest sits in a field, so a connection with at most one frame
/// waiting (nearly always, at ordinary rates) needs no array; a burst grows a ring. A ring of up to
/// <see cref="RetainedRing"/> slots is kept for the next burst (so steady fan-out allocates nothing); a larger one
/// is dropped once empty, so an idle connection never keeps more than that. The owner bounds the count.
/// </summary>
internal struct FrameQueue
{
    private const int InitialRing = 4;
    private const int RetainedRing = 16;
    private ReadOnlyMemory<byte> _first;
    private ReadOnlyMemory<byte>[]? _rest;
    private int _restStart;

    public int Count { get; private set; }

    public void Enqueue(ReadOnlyMemory<byte> frame)
    {
        if (Count == 0)
        {
            _first = frame;
            Count = 1;
            return;
        }

        var restCount = Count - 1;
        if (_rest is null || restCount == _rest.Length)
        {
            Grow(restCount);
        }

        _rest![(_restStart + restCount) % _rest.Length] = frame;
        Count++;
    }

    /// <summary>Puts <paramref name="frame"/> ahead of every frame waiting: it is the next one out.</summary>
    public void EnqueueFirst(ReadOnlyMemory<byte> frame)
    {
        if (Count == 0)
        {
            Enqueue(frame);
            return;
        }

        var restCount = Count - 1;
        if (_rest is null || restCount == _rest.Length)
        {
            Grow(restCount);
        }

        _restStart = (_restStart - 1 + _rest!.Length) % _rest.Length;
        _rest[_restStart] = _first;
        _first = frame;
        Count++;
    }

    public ReadOnlyMemory<byte> Dequeue()
    {
        var frame = _first;
        Count--;
        if (Count == 0)
        {
            _first = default;
            if (_rest is { Length: > RetainedRing })
            {
                _rest = null;
            }

            return frame;
        }

        _first = _rest![_restStart];
        _rest[_restStart] = default;
        _restStart = (_restStart + 1) % _rest.Length;
        return frame;
    }

    public void Clear() => this = default;

    private void Grow(int restCount)
    {
        var next = new ReadOnlyMemory<byte>[_rest is null ? InitialRing : _rest.Length * 2];
        for (var i = 0; i < restCount; i++)
        {
            next[i] = _rest![(_restStart + i) % _rest.Length];
        }

        _rest = next;
        _restStart = 0;
    }
}
