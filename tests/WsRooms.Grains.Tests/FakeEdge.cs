using System.Text;
using Orleans.Runtime;
using Orleans.Streams;
using WsRooms.Delivery;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>
/// Plays an edge host: subscribes to the stream of its own edge id and records every delivery, in arrival order,
/// and renews a lease with the edge directory when a test asks.
/// Tests wait for what they expect (with a timeout) instead of sleeping; to show that something did NOT arrive,
/// they send a later marker down the same path, wait for it, and look at what came before it.
/// </summary>
public sealed class FakeEdge : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly List<EdgeDelivery> _received = [];
    private readonly List<(Func<EdgeDelivery, bool> Match, TaskCompletionSource<EdgeDelivery> Found)> _waiters = [];
    private readonly IClusterClient _client;

    // Held here: the client keeps only a weak reference to an observer.
    private readonly NoConnectionsLookup _lookup = new();
    private readonly IEdgeConnectionLookup _lookupReference;
    private StreamSubscriptionHandle<EdgeBatch>? _subscription;

    private FakeEdge(IClusterClient client, string id)
    {
        _client = client;
        Id = id;
        _lookupReference = client.CreateObjectReference<IEdgeConnectionLookup>(_lookup);
    }

    public string Id { get; }

    /// <summary>The edge tag sent with its lease renewals (<see cref="ConnectionIds"/>).</summary>
    public long Tag { get; } = ConnectionIds.NewEdgeTag();

    /// <summary>Stream events (batches) received so far.</summary>
    public int BatchCount { get; private set; }

    public static async Task<FakeEdge> StartAsync(IClusterClient client, string? id = null)
    {
        var edge = new FakeEdge(client, id ?? $"edge-{Guid.NewGuid():N}");
        var stream = client.GetStreamProvider(EdgeStreams.ProviderName)
            .GetStream<EdgeBatch>(StreamId.Create(EdgeStreams.Namespace, edge.Id));
        edge._subscription = await stream.SubscribeAsync((batch, _) =>
        {
            edge.Receive(batch);
            return Task.CompletedTask;
        });
        return edge;
    }

    /// <summary>
    /// Renews this edge's lease as process <paramref name="instance"/>, as an edge host does: with its tag and a
    /// lookup, which holds no connection (tests open theirs with ids that carry no tag).
    /// </summary>
    public Task<EdgeLeaseStatus> RenewLeaseAsync(string instance, TimeSpan lease) =>
        _client.GetGrain<IEdgeDirectoryGrain>(IEdgeDirectoryGrain.Key).RenewAsync(Id, instance, lease, Tag, _lookupReference);

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<EdgeDelivery> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>The first delivery (from the start) that matches, waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<EdgeDelivery> WaitForAsync(Func<EdgeDelivery, bool> match, TimeSpan? timeout = null)
    {
        TaskCompletionSource<EdgeDelivery> found;
        lock (_received)
        {
            foreach (var delivery in _received)
            {
                if (match(delivery))
                {
                    return delivery;
                }
            }

            found = new TaskCompletionSource<EdgeDelivery>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
        }

        try
        {
            return await found.Task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Edge {Id}: the expected delivery did not arrive within {timeout ?? DefaultTimeout}. Received: {Describe(Received)}");
        }
    }

    /// <summary>Opens a new connection on this edge, as an edge host does before the connection's first join; returns its id.</summary>
    public async Task<string> OpenConnectionAsync(Dictionary<string, string>? claims = null)
    {
        var id = TestNames.Connection();
        await _client.GetConnection(id).OpenAsync(Id, claims ?? []);
        return id;
    }

    /// <summary>
    /// Publishes a unique event to <paramref name="room"/> and waits for it here. Deliveries to one edge keep their
    /// order, so whatever the room sent this edge before the marker has arrived by then.
    /// </summary>
    public async Task<EdgeDelivery> PublishMarkerAsync(string room)
    {
        var marker = $"marker-{Guid.NewGuid():N}";
        await _client.GetRoom(room).PublishTextAsync(marker, "");
        return await WaitForRoomEventAsync(room, marker);
    }

    /// <summary>Waits for a room fan-out of <paramref name="event"/> in <paramref name="room"/>.</summary>
    public Task<EdgeDelivery> WaitForRoomEventAsync(string room, string @event, TimeSpan? timeout = null) =>
        WaitForAsync(d => d.Connection is null && d.Message.Room == room && d.Message.Event == @event, timeout);

    /// <summary>Waits for a delivery to <paramref name="connection"/> of <paramref name="event"/> in <paramref name="room"/>.</summary>
    public Task<EdgeDelivery> WaitForConnectionEventAsync(string connection, string room, string @event, TimeSpan? timeout = null) =>
        WaitForAsync(d => d.Connection == connection && d.Message.Room == room && d.Message.Event == @event, timeout);

    /// <summary>What arrived before <paramref name="marker"/> (which must have arrived).</summary>
    public IReadOnlyList<EdgeDelivery> Before(EdgeDelivery marker)
    {
        var all = Received;
        var index = IndexOf(all, marker);
        Assert.True(index >= 0, "The marker has not arrived.");
        return [.. all.Take(index)];
    }

    public int IndexOf(EdgeDelivery delivery) => IndexOf(Received, delivery);

    public async ValueTask DisposeAsync()
    {
        if (_subscription is not null)
        {
            await _subscription.UnsubscribeAsync();
        }

        _client.DeleteObjectReference<IEdgeConnectionLookup>(_lookupReference);
    }

    public static string Describe(IEnumerable<EdgeDelivery> deliveries) =>
        string.Join("; ", deliveries.Select(d =>
            $"[{d.Message.Room}/{d.Message.Event} src={d.Message.Src} to={d.Connection ?? "room"} except={d.ExceptConnection} {d.Change} pos={d.Position} payload={Truncate(Encoding.UTF8.GetString(d.Message.Payload))}]"));

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private static int IndexOf(IReadOnlyList<EdgeDelivery> all, EdgeDelivery delivery)
    {
        for (var i = 0; i < all.Count; i++)
        {
            if (ReferenceEquals(all[i], delivery))
            {
                return i;
            }
        }

        return -1;
    }

    private void Receive(EdgeBatch batch)
    {
        lock (_received)
        {
            BatchCount++;
            foreach (var delivery in batch.Deliveries)
            {
                _received.Add(delivery);
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Match(delivery))
                    {
                        _waiters[i].Found.TrySetResult(delivery);
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }
    }
}
