using Orleans.Streams;

namespace WsRooms.Streaming.Tests;

/// <summary>Records what a subscriber of an int stream is given: events in order, completions and errors.</summary>
internal sealed class StreamRecorder
{
    private readonly List<int> _items = [];
    private readonly List<Exception> _errors = [];
    private int _completions;

    public IReadOnlyList<int> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    public IReadOnlyList<Exception> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public int Completions => Volatile.Read(ref _completions);

    public IAsyncObserver<int> Observer => new Adapter(this);

    public Task OnNextAsync(int item, StreamSequenceToken? token)
    {
        lock (_items)
        {
            _items.Add(item);
        }

        return Task.CompletedTask;
    }

    private sealed class Adapter(StreamRecorder recorder) : IAsyncObserver<int>
    {
        public Task OnNextAsync(int item, StreamSequenceToken? token = null) => recorder.OnNextAsync(item, token);

        public Task OnCompletedAsync()
        {
            Interlocked.Increment(ref recorder._completions);
            return Task.CompletedTask;
        }

        public Task OnErrorAsync(Exception ex)
        {
            lock (recorder._errors)
            {
                recorder._errors.Add(ex);
            }

            return Task.CompletedTask;
        }
    }
}
