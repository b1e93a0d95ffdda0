using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>
/// Steady traffic in one room: the sender broadcasts numbered ticks every <c>interval</c>, the receiver (on another
/// edge host) records which arrived and when. Gives the recovery time after a failure (first tick sent after it that
/// arrives) and the ticks lost.
/// </summary>
public sealed class RoomTraffic : IAsyncDisposable
{
    public const string TickEvent = "tick";

    private readonly ConcurrentDictionary<int, long> _sentAt = new();
    private readonly ConcurrentDictionary<int, long> _receivedAt = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock;
    private Task _sending = Task.CompletedTask;
    private Task _receiving = Task.CompletedTask;
    private int _next;

    public RoomTraffic(string room, TestClient sender, TestClient receiver, Stopwatch clock)
    {
        Room = room;
        Sender = sender;
        Receiver = receiver;
        _clock = clock;
    }

    public string Room { get; }

    public TestClient Sender { get; }

    public TestClient Receiver { get; }

    public int Sent => _sentAt.Count;

    public int Received => _receivedAt.Count;

    public void Start(TimeSpan interval)
    {
        _receiving = Task.Run(ReceiveAsync);
        _sending = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var seq = _next++;
                _sentAt[seq] = _clock.ElapsedTicks;
                try
                {
                    await Sender.SendAsync(Room, TickEvent, seq.ToString(CultureInfo.InvariantCulture));
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    _sentAt.TryRemove(seq, out _); // never left the client: not a loss of the server's
                }
            }
        });
    }

    /// <summary>Ticks received that were sent after <paramref name="since"/> (clock ticks).</summary>
    public bool ReceivedOneSentAfter(long since) => _receivedAt.Keys.Any(seq => _sentAt.TryGetValue(seq, out var at) && at > since);

    /// <summary>When the first tick sent after <paramref name="since"/> arrived, or null.</summary>
    public TimeSpan? RecoveredAfter(long since)
    {
        long? first = null;
        foreach (var (seq, receivedAt) in _receivedAt)
        {
            if (_sentAt.TryGetValue(seq, out var sentAt) && sentAt > since && (first is null || receivedAt < first))
            {
                first = receivedAt;
            }
        }

        return first is null ? null : TimeSpan.FromSeconds((first.Value - since) / (double)Stopwatch.Frequency);
    }

    /// <summary>
    /// When delivery was back for good after <paramref name="since"/>: the end of the last silence longer than
    /// <paramref name="gap"/> between receipts (counting from <paramref name="since"/>); null if nothing came after it.
    /// </summary>
    public TimeSpan? ResumedAfter(long since, TimeSpan gap)
    {
        var receipts = _receivedAt.Values.Where(at => at > since).Order().ToArray();
        if (receipts.Length == 0)
        {
            return null;
        }

        var limit = (long)(gap.TotalSeconds * Stopwatch.Frequency);
        var resumed = receipts[0];
        var previous = since;
        foreach (var at in receipts)
        {
            if (at - previous > limit)
            {
                resumed = at;
            }

            previous = at;
        }

        return TimeSpan.FromSeconds((resumed - since) / (double)Stopwatch.Frequency);
    }

    /// <summary>Ticks sent between the two clock readings that never arrived.</summary>
    public int LostBetween(long from, long to) =>
        _sentAt.Count(s => s.Value >= from && s.Value <= to && !_receivedAt.ContainsKey(s.Key));

    public async Task StopSendingAsync()
    {
        await _stop.CancelAsync();
        await _sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopSendingAsync();
        await Sender.DisposeAsync();
        await Receiver.DisposeAsync();
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        while (true)
        {
            Message message;
            try
            {
                message = await Receiver.NextAsync(TimeSpan.FromMinutes(10));
            }
            catch (Exception)
            {
                return; // closed (disposed) or silent for ten minutes
            }

            if (message.Room == Room && message.Event == TickEvent && int.TryParse(message.PayloadText, CultureInfo.InvariantCulture, out var seq))
            {
                _receivedAt.TryAdd(seq, _clock.ElapsedTicks);
            }
        }
    }
}
