using Orleans.Streams;

namespace WsRooms.Streaming.Tests;

/// <summary>Records the batches a batch observer of an int stream is given, in order.</summary>
internal sealed class BatchRecorder : IAsyncBatchObserver<int>
{
    private readonly List<IList<SequentialItem<int>>> _batches = [];

    public IReadOnlyList<IList<SequentialItem<int>>> Batches
    {
        get
        {
            lock (_batches)
            {
                return [.. _batches];
            }
        }
    }

    public Task OnNextAsync(IList<SequentialItem<int>> items)
    {
        lock (_batches)
        {
            _batches.Add(items);
        }

        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
