using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// This edge host's live connections and its local view of room membership: which of ITS connections are in which
/// room. The room grains own membership; this index follows them, updated by the join_ack / leave_ack deliveries
/// that arrive on the same stream as the room's broadcasts, so a fan-out always sees the joins before it.
/// </summary>
internal sealed class ConnectionRegistry(IOptions<WsRoomsEdgeOptions> options)
{
    private readonly ConcurrentDictionary<string, EdgeConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LocalRoom> _rooms = new(StringComparer.Ordinal);

    // v2 resume sockets, by session id, from their resume frame until they are promoted to current or give up.
    private readonly ConcurrentDictionary<string, EdgeConnection> _resuming = new(StringComparer.Ordinal);

    // Orders the rare hand-overs of one session between its sockets here (promotion, supersession).
    private readonly Lock _handOver = new();
    private readonly bool _rootPresence = options.Value.RootPresence;

    /// <summary>How many connections this edge holds.</summary>
    public int Count => _connections.Count;

    /// <summary>How many rooms have at least one member on this edge (root without presence not counted).</summary>
    public int RoomCount => _rooms.Count;

    /// <summary>Every live connection.</summary>
    public ICollection<EdgeConnection> Connections => _connections.Values;

    public bool TryGet(string connectionId, out EdgeConnection connection) =>
        _connections.TryGetValue(connectionId, out connection!);

    public void Add(EdgeConnection connection) => _connections[connection.Id] = connection;

    /// <summary>The resume socket of session <paramref name="sessionId"/> under way here, if any.</summary>
    public bool TryGetResuming(string sessionId, out EdgeConnection connection) =>
        _resuming.TryGetValue(sessionId, out connection!);

    /// <summary>Registers a resume socket before its resume is asked for; false when one of the same session is already resuming here.</summary>
    public bool TryAddResuming(EdgeConnection connection) => _resuming.TryAdd(connection.Id, connection);

    /// <summary>
    /// The resume of <paramref name="connection"/> succeeded: it becomes the session's current socket here, unless a
    /// Superseded delivery already promoted it. An older socket of the session still here is closed with 4001. With
    /// <paramref name="supersededToCome"/> (the older socket was open on this edge host), the Superseded delivery still
    /// on its way must close nothing.
    /// </summary>
    public void Promote(EdgeConnection connection, bool supersededToCome)
    {
        lock (_handOver)
        {
            if (!_resuming.TryRemove(new KeyValuePair<string, EdgeConnection>(connection.Id, connection)))
            {
                return;
            }

            if (_connections.TryGetValue(connection.Id, out var older) && older != connection)
            {
                older.BeginClose(CloseCodes.SessionResumed, SupersededReason, suspends: true);
            }

            _connections[connection.Id] = connection;
            connection.AwaitSuperseded(supersededToCome);
        }
    }

    /// <summary>
    /// A Superseded delivery for session <paramref name="sessionId"/>: its current socket here closes with 4001 (unless it
    /// is the socket the resume promoted already), and a resume socket of it waiting here is promoted.
    /// </summary>
    public void Supersede(string sessionId)
    {
        lock (_handOver)
        {
            _resuming.TryGetValue(sessionId, out var resuming);
            if (_connections.TryGetValue(sessionId, out var current) && current != resuming && !current.TakeAwaitedSuperseded())
            {
                current.BeginClose(CloseCodes.SessionResumed, SupersededReason, suspends: true);
            }

            if (resuming is not null && _resuming.TryRemove(new KeyValuePair<string, EdgeConnection>(sessionId, resuming)))
            {
                _connections[sessionId] = resuming;
            }
        }
    }

    /// <summary>The close reason of an older socket of a resumed session.</summary>
    public const string SupersededReason = "session resumed on another socket";

    /// <summary>Forgets a connection and takes it out of every local room. Returns false when it was already gone.</summary>
    public bool Remove(EdgeConnection connection)
    {
        var pair = new KeyValuePair<string, EdgeConnection>(connection.Id, connection);
        if (!_connections.TryRemove(pair) && !_resuming.TryRemove(pair))
        {
            return false;
        }

        foreach (var room in connection.TakeLocalRooms())
        {
            RemoveFromRoom(room, connection);
        }

        return true;
    }

    /// <summary>Records that <paramref name="connection"/> is now a member of <paramref name="room"/> (its join_ack arrived).</summary>
    public void Joined(EdgeConnection connection, string room)
    {
        if (connection.AddLocalRoom(room))
        {
            // A room emptied at this moment is retired; then take the fresh one.
            while (!_rooms.GetOrAdd(room, static _ => new LocalRoom()).TryAdd(connection))
            {
            }
        }
    }

    /// <summary>Records that <paramref name="connection"/> left <paramref name="room"/> (its leave_ack arrived).</summary>
    public void Left(EdgeConnection connection, string room)
    {
        if (connection.RemoveLocalRoom(room))
        {
            RemoveFromRoom(room, connection);
        }
    }

    private void RemoveFromRoom(string room, EdgeConnection connection)
    {
        if (_rooms.TryGetValue(room, out var members) && members.RemoveAndRetireIfEmpty(connection))
        {
            // Empty local rooms are dropped so that an edge that saw a million rooms come and go holds none of them.
            _rooms.TryRemove(new KeyValuePair<string, LocalRoom>(room, members));
        }
    }

    /// <summary>
    /// Sends one encoded v1 frame to every local member of <paramref name="room"/> except <paramref name="except"/>
    /// (v2 members get it with an empty meta, encoded once for all of them). On root without presence every
    /// connection is a member. Returns how many connections took it.
    /// </summary>
    public int FanOut(string room, string? except, ReadOnlyMemory<byte> frame) => FanOut(room, except, new RoomFrame(frame));

    /// <summary>
    /// Sends <paramref name="message"/> at <paramref name="position"/> (0: none) to every local member of its room
    /// except <paramref name="except"/>: one v1 encoding, and one v2 encoding only if a v2 member is there.
    /// </summary>
    public int FanOut(Message message, string? except, long position) => FanOut(message.Room, except, new RoomFrame(message, position));

    private int FanOut(string room, string? except, RoomFrame frame)
    {
        var sent = 0;
        if (!_rootPresence && room == EventNames.RootRoom)
        {
            foreach (var connection in _connections.Values)
            {
                if (connection.Id != except && connection.TrySendEncoded(frame.For(connection.IsV2)))
                {
                    sent++;
                }
            }

            return sent;
        }

        if (!_rooms.TryGetValue(room, out var members))
        {
            return 0;
        }

        // A snapshot array: iterating it allocates nothing, and joins/leaves during the loop don't disturb it.
        foreach (var connection in members.Snapshot)
        {
            if (connection.Id != except && connection.TrySendEncoded(frame.For(connection.IsV2)))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <summary>
    /// The local members of one room, as a copy-on-write array: fan-out (hot, one per message) reads without a
    /// lock or an allocation; joins and leaves (rare by comparison) copy.
    /// </summary>
    private sealed class LocalRoom
    {
        private readonly Lock _gate = new();
        private EdgeConnection[] _members = [];
        private bool _retired;

        public EdgeConnection[] Snapshot => Volatile.Read(ref _members);

        /// <summary>Adds a member; false when this room was retired (emptied and dropped) and must be looked up again.</summary>
        public bool TryAdd(EdgeConnection connection)
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                if (Array.IndexOf(_members, connection) < 0)
                {
                    Volatile.Write(ref _members, [.. _members, connection]);
                }

                return true;
            }
        }

        /// <summary>Removes a member; true when that left the room empty, which retires it.</summary>
        public bool RemoveAndRetireIfEmpty(EdgeConnection connection)
        {
            lock (_gate)
            {
                var index = Array.IndexOf(_members, connection);
                if (index < 0)
                {
                    return false;
                }

                var next = new EdgeConnection[_members.Length - 1];
                Array.Copy(_members, 0, next, 0, index);
                Array.Copy(_members, index + 1, next, index, next.Length - index);
                Volatile.Write(ref _members, next);
                _retired = next.Length == 0;
                return _retired;
            }
        }
    }
}
