using System.Collections.Concurrent;
using WsRooms.Delivery;

namespace WsRooms.Edge.Delivery;

/// <summary>
/// Drops an <see cref="EdgeBatch"/> this edge has already taken. A silo's outbox numbers its batches and publishes one
/// at a time per edge, so from one source the numbers only grow; a number not above the last one seen is a repeat:
/// a publish that timed out on the silo (a slow moment here, or a call routed through a silo that just died) but did
/// arrive, retried with the same number.
/// </summary>
internal sealed class BatchSequenceFilter
{
    // One entry per silo process that ever published here: a handful, replaced when silos restart.
    private readonly ConcurrentDictionary<Guid, StrongBox> _last = new();

    /// <summary>True when the batch is new (and is now the last seen from its source); false for a repeat.</summary>
    public bool TryAccept(EdgeBatch batch)
    {
        var last = _last.GetOrAdd(batch.Source, static _ => new StrongBox());
        lock (last)
        {
            if (batch.Sequence <= last.Value)
            {
                return false;
            }

            last.Value = batch.Sequence;
            return true;
        }
    }

    private sealed class StrongBox
    {
        public long Value;
    }
}
