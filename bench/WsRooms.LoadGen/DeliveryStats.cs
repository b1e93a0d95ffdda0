using System.Diagnostics;
using HdrHistogram;

namespace WsRooms.LoadGen;

/// <summary>
/// What the receivers saw in the current phase: latency (µs, HdrHistogram), deliveries, duplicates and
/// out-of-order arrivals, per (receiver, sender) sequence. Receivers run on many threads: the histogram is
/// sharded by receiver, each shard behind its own lock, so recording does not serialize the whole generator.
/// </summary>
internal sealed class DeliveryStats
{
    private const int Shards = 16;
    private readonly Shard[] _shards = Enumerable.Range(0, Shards).Select(_ => new Shard()).ToArray();
    private int _phase;
    private long _stale;

    /// <summary>Messages of earlier phases that arrived late (not counted anywhere else).</summary>
    public long Stale => Interlocked.Read(ref _stale);

    public int Phase => Volatile.Read(ref _phase);

    /// <summary>Starts a new phase: everything recorded so far is forgotten.</summary>
    public void StartPhase(int phase)
    {
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                shard.Histogram.Reset();
                shard.Received = shard.Duplicates = shard.OutOfOrder = 0;
            }
        }

        Volatile.Write(ref _phase, phase);
    }

    public long Received => _shards.Sum(s => { lock (s) { return s.Received; } });

    /// <summary>Called by a receiver for every data payload it gets.</summary>
    public void Record(ReceiverState receiver, ReadOnlySpan<byte> payload)
    {
        var now = Stopwatch.GetTimestamp();
        if (!Payload.TryRead(payload, out var phase, out var sender, out var seq, out var ticks))
        {
            return;
        }

        if (phase != Volatile.Read(ref _phase))
        {
            Interlocked.Increment(ref _stale);
            return;
        }

        // Only this receiver's own loop touches its trackers.
        if (receiver.Phase != phase)
        {
            receiver.Trackers.Clear();
            receiver.Phase = phase;
        }

        if (!receiver.Trackers.TryGetValue(sender, out var tracker))
        {
            tracker = new SeqTracker();
            receiver.Trackers[sender] = tracker;
        }

        var verdict = tracker.See(seq);
        var micros = Math.Max(1, (now - ticks) * 1_000_000 / Stopwatch.Frequency);
        var shard = _shards[receiver.Index % Shards];
        lock (shard)
        {
            switch (verdict)
            {
                case Verdict.Duplicate:
                    shard.Duplicates++;
                    return;
                case Verdict.OutOfOrder:
                    shard.OutOfOrder++;
                    break;
            }

            shard.Received++;
            shard.Histogram.RecordValue(Math.Min(micros, Shard.MaxMicros));
        }
    }

    /// <summary>The phase's figures so far.</summary>
    public Snapshot Take()
    {
        var merged = new LongHistogram(Shard.MaxMicros, 3);
        long received = 0, duplicates = 0, outOfOrder = 0;
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                merged.Add(shard.Histogram);
                received += shard.Received;
                duplicates += shard.Duplicates;
                outOfOrder += shard.OutOfOrder;
            }
        }

        return new Snapshot(received, duplicates, outOfOrder, merged);
    }

    public sealed record Snapshot(long Received, long Duplicates, long OutOfOrder, LongHistogram Latency)
    {
        public double Percentile(double p) => Latency.TotalCount == 0 ? 0 : Latency.GetValueAtPercentile(p) / 1000.0;

        public double MaxMs => Latency.TotalCount == 0 ? 0 : Latency.GetMaxValue() / 1000.0;
    }

    private sealed class Shard
    {
        public const long MaxMicros = 120_000_000;
        public readonly LongHistogram Histogram = new(MaxMicros, 3);
        public long Received;
        public long Duplicates;
        public long OutOfOrder;
    }
}

/// <summary>A receiver's per-sender sequence trackers; owned by that receiver's receive loop.</summary>
internal sealed class ReceiverState(int index)
{
    public int Index { get; } = index;

    public int Phase { get; set; } = -1;

    public Dictionary<int, SeqTracker> Trackers { get; } = [];
}

internal enum Verdict
{
    InOrder,
    OutOfOrder,
    Duplicate,
}

/// <summary>
/// One sender's sequence as one receiver sees it. The common case (next in line) is one compare; gaps are kept
/// in a set so that a late arrival is told apart from a duplicate. Whatever is still missing at the end is lost.
/// </summary>
internal sealed class SeqTracker
{
    private const int MaxTrackedGaps = 100_000;
    private long _max = -1;
    private HashSet<long>? _missing;

    public Verdict See(long seq)
    {
        if (seq == _max + 1)
        {
            _max = seq;
            return Verdict.InOrder;
        }

        if (seq > _max)
        {
            _missing ??= [];
            for (var s = _max + 1; s < seq && _missing.Count < MaxTrackedGaps; s++)
            {
                _missing.Add(s);
            }

            _max = seq;
            return Verdict.InOrder;
        }

        return _missing is not null && _missing.Remove(seq) ? Verdict.OutOfOrder : Verdict.Duplicate;
    }
}
