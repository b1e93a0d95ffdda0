using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Delivery;
using WsRooms.Grains.Delivery;
using WsRooms.Grains.Observability;
using WsRooms.Grains.RoomLogs;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.Rooms;

/// <summary>
/// One room, keyed by its name: who is in it and on which edge host, and the fan-out of everything sent to it.
/// A fan-out is one <see cref="EdgeDelivery"/> per edge host with members (plus attached edges), never one per
/// member: each edge host expands it to its own local members.
/// </summary>
/// <remarks>
/// Not reentrant on purpose: every membership change and every fan-out is posted in one order per room, and
/// that order is what the edges rely on (a join_ack must reach an edge before any broadcast the joiner should
/// receive). Interleaving a broadcast into a join's storage write would break it. Broadcasts await nothing, so a
/// turn is short; membership changes cost one storage write each.
/// Membership is stored one row per member (<see cref="IRowStore"/>, partition = the room): a join or leave writes
/// one row whatever the room's size, and activation reads the rows back page by page, so a room's storage never
/// grows into one entity that the store would refuse.
/// Every frame the room fans out is appended to its <see cref="RoomLog"/> in the same turn, which gives it its
/// position; so the order of positions is the order of the fan-out every member sees. <c>root</c> has no log: a log
/// of the room every connection is in would be one ordering point for the whole cluster.
/// </remarks>
internal sealed partial class RoomGrain(
    IRowStore store,
    IEdgeOutbox outbox,
    IOptions<EdgeOutboxOptions> outboxOptions,
    RoomLogRetention retention,
    TimeProvider clock,
    ILogger<RoomGrain> logger) : Grain, IRoomGrain
{
    /// <summary>Room of the frame header, event and the frame's length fields: what a join_ack carries besides its list.</summary>
    private const int JoinAckOverheadBytes = 1024;

    private readonly RoomState _state = new();

    // Derived from the state, kept in step with every change so a broadcast never walks the member list:
    // members per edge host, the edges with members, and those edges together with the attached ones.
    private readonly Dictionary<string, int> _membersPerEdge = new(StringComparer.Ordinal);
    private string[] _memberEdges = [];
    private string[] _fanOutEdges = [];
    private string _room = "";

    // Null for root. In memory: it goes with the activation, and the next one begins above it (RoomLog.FirstPositionAt),
    // unless the room's log is durable; then _durable stores it and the next activation continues it.
    private RoomLog? _log;
    private DurableRoomLog? _durable;

    private string Partition => RowPartitions.Room(_room);

    private bool IsRoot => _room == EventNames.RootRoom;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _room = this.GetPrimaryKeyString();
        await ActivateLogAsync(cancellationToken);
        foreach (var row in await store.ReadPartitionAsync(Partition, cancellationToken))
        {
            if (row.Row.StartsWith(RowPartitions.MemberPrefix, StringComparison.Ordinal))
            {
                _state.Members[row.Row[RowPartitions.MemberPrefix.Length..]] = row.Value;
            }
            else if (row.Row.StartsWith(RowPartitions.AttachedEdgePrefix, StringComparison.Ordinal))
            {
                _state.AttachedEdges.Add(row.Row[RowPartitions.AttachedEdgePrefix.Length..]);
            }
        }

        RebuildIndex();
        SiloMetrics.Rooms.Add(1);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        SiloMetrics.Rooms.Add(-1);
        if (_durable is not null)
        {
            // What the room logged is stored and delivered before it goes: a clean deactivation loses nothing.
            await _durable.FlushAsync(cancellationToken);
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>
    /// The room's log: none for root; in memory from the clock's position; or, when durable, the stored tail, continued
    /// one above its last position (every position a member received is stored, so none is given twice).
    /// </summary>
    private async Task ActivateLogAsync(CancellationToken cancellationToken)
    {
        if (IsRoot)
        {
            return;
        }

        var limits = retention.For(_room);
        if (!limits.Durable)
        {
            _log = new RoomLog(RoomLog.FirstPositionAt(clock.GetUtcNow()), limits, clock);
            return;
        }

        var store = ServiceProvider.GetRequiredService<IRoomLogStore>();
        var stored = await store.ReadTailAsync(_room, limits.KeepsFrames ? limits.MaxFrames : 0, cancellationToken);
        _log = stored.LastPosition == 0
            ? new RoomLog(RoomLog.FirstPositionAt(clock.GetUtcNow()), limits, clock)
            : RoomLog.Continue(stored.LastPosition, [.. stored.Frames.Select(f => (f.Position, f.Message!, f.LoggedAt))], limits, clock);
        _durable = new DurableRoomLog(_room, _log, stored, store, outbox, clock, logger);
    }

    /// <summary>Gives <paramref name="message"/> its position (0 for root) and, for a durable log, queues it to be stored.</summary>
    private long Append(Message message)
    {
        if (_log is null)
        {
            return 0;
        }

        var position = _log.Append(message);
        _durable?.Logged(position, message);
        return position;
    }

    /// <summary>Every delivery of the room goes here: a durable room's wait for the frames logged before them to be stored.</summary>
    private void Post(string edgeId, EdgeDelivery delivery)
    {
        if (_durable is null)
        {
            outbox.Post(edgeId, delivery);
        }
        else
        {
            _durable.Post(edgeId, delivery);
        }
    }

    /// <summary>For a durable log, a read stops below the first frame not yet stored.</summary>
    private RoomHistory Visible(Func<RoomLog, long, RoomHistory> read, long before)
    {
        if (_log is null)
        {
            return RoomHistory.None;
        }

        if (_durable is null)
        {
            return read(_log, before);
        }

        var end = _durable.StoredEnd;
        var history = read(_log, before <= 0 || before > end ? end : before);
        return history.LastPosition < end ? history : history with { LastPosition = end - 1 };
    }

    public async Task<bool> AddMemberAsync(string connectionId, string edgeId) =>
        (await AddMemberCoreAsync(connectionId, edgeId)).Result == JoinResult.Joined;

    public Task<RoomJoin> TryAddMemberAsync(string connectionId, string edgeId, int maxMembers, JoinHistory? history = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        if (maxMembers > 0 && _state.Members.Count >= maxMembers && !_state.Members.ContainsKey(connectionId))
        {
            SiloMetrics.RoomFull();
            return Task.FromResult(new RoomJoin(JoinResult.RoomFull)); // WsRooms:Quotas:MaxMembersPerRoom; the edge tells the client
        }

        return AddMemberCoreAsync(connectionId, edgeId, history);
    }

    private async Task<RoomJoin> AddMemberCoreAsync(string connectionId, string edgeId, JoinHistory? history = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);

        if (_state.Members.ContainsKey(connectionId))
        {
            // Joining again only repeats the join_ack (docs/protocol.md); nobody else hears of it. It carries the
            // last position: the member's next room frame is the one after it.
            var last = _log?.LastPosition ?? 0;
            PostJoinAck(connectionId, edgeId, last);
            PostHistory(connectionId, edgeId, history, before: last + 1);
            return new RoomJoin(JoinResult.AlreadyMember, last);
        }

        await WriteAsync(() => store.UpsertAsync(Partition, RowPartitions.MemberPrefix + connectionId, edgeId));
        _state.Members.Add(connectionId, edgeId);
        AddToIndex(edgeId);
        SiloMetrics.Joins.Add(1);

        // Logged even when nobody else is here: its position is the join's, which the join_ack carries.
        var newMemberMessage = new Message(_room, EventNames.NewMember, "", "", Encoding.UTF8.GetBytes(connectionId));
        var position = Append(newMemberMessage);

        // join_ack first: the edge adds the joiner to its local index on it, and later fan-outs from this room,
        // new_member included, follow it on the same stream.
        PostJoinAck(connectionId, edgeId, position);

        var newMember = EdgeDelivery.ToRoom(newMemberMessage, except: connectionId, position);
        foreach (var edge in _memberEdges)
        {
            if (edge == edgeId && _membersPerEdge[edge] == 1)
            {
                continue; // the joiner is alone on its edge: nobody there to tell
            }

            Post(edge, newMember);
        }

        PostHistory(connectionId, edgeId, history, before: position);
        return new RoomJoin(JoinResult.Joined, position);
    }

    public async Task<bool> RemoveMemberAsync(string connectionId, string edgeId, bool acknowledge)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);

        var wasMember = _state.Members.ContainsKey(connectionId);
        if (wasMember)
        {
            await WriteAsync(() => store.DeleteAsync(Partition, RowPartitions.MemberPrefix + connectionId));
            _state.Members.Remove(connectionId, out var memberEdge);
            RemoveFromIndex(memberEdge!);
            SiloMetrics.Leaves.Add(1);
        }

        var idBytes = Encoding.UTF8.GetBytes(connectionId);
        if (acknowledge)
        {
            // Before member_left: the edge drops the leaver from its index first, so it is not told of itself.
            Post(edgeId, EdgeDelivery.ToConnection(
                connectionId,
                new Message(_room, EventNames.LeaveAck, "", connectionId, idBytes),
                MembershipChange.Left));
        }

        if (wasMember)
        {
            var memberLeftMessage = new Message(_room, EventNames.MemberLeft, "", "", idBytes);
            var memberLeft = EdgeDelivery.ToRoom(memberLeftMessage, except: connectionId, Append(memberLeftMessage));
            foreach (var edge in _memberEdges)
            {
                Post(edge, memberLeft);
            }
        }

        CollectIfEmpty();
        return wasMember;
    }

    public async Task<RoomMove> MoveMemberAsync(string connectionId, string edgeId, long? after)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (!_state.Members.TryGetValue(connectionId, out var oldEdge))
        {
            CollectIfEmpty();
            return new RoomMove(false);
        }

        if (oldEdge != edgeId)
        {
            await WriteAsync(() => store.UpsertAsync(Partition, RowPartitions.MemberPrefix + connectionId, edgeId));
            _state.Members[connectionId] = edgeId;
            RemoveFromIndex(oldEdge);
            AddToIndex(edgeId);
        }

        // Posted in this turn, so every later fan-out of the room follows it on the new edge's stream, after the
        // replay of what came before, up to this position: from the ring, through Post (a durable room replays once stored).
        var last = _log?.LastPosition ?? 0;
        Post(edgeId, EdgeDelivery.ToConnection(
            connectionId,
            new Message(_room, EventNames.JoinAck, "", connectionId, []),
            MembershipChange.Moved,
            last));
        if (_log is null || after is not { } from)
        {
            return new RoomMove(true, last, false);
        }

        var replay = _log.ReadAfter(from, last + 1);
        if (replay.Complete)
        {
            PostFrames(connectionId, edgeId, replay.Frames, MembershipChange.Replayed);
        }

        return new RoomMove(true, last, replay.Complete);
    }

    public Task<PublishOutcome> BroadcastAckedAsync(string senderId, string @event, byte[] payload, byte[] mid)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderId);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(mid);

        var isMember = _state.Members.TryGetValue(senderId, out var senderEdge);
        if (!isMember && !(IsRoot && _state.AttachedEdges.Count > 0))
        {
            Log.BroadcastFromNonMemberDropped(logger, _room, senderId, @event);
            SiloMetrics.BroadcastFromNonMember();
            return Task.FromResult(PublishOutcome.Refused(ErrorFrames.NotMember));
        }

        var position = FanOut(new Message(_room, @event, "", senderId, payload), except: senderId);

        // Through Post, after the fan-out: a durable room acknowledges a frame once it is stored.
        var ack = EdgeDelivery.ToConnection(senderId, AckFrames.Accepted(_room, mid, position));
        if (isMember)
        {
            Post(senderEdge!, ack);
        }
        else
        {
            // Root without presence knows no member's edge: each attached edge hands the ack to the sender if it has it.
            foreach (var edge in _state.AttachedEdges)
            {
                Post(edge, ack);
            }
        }

        return Task.FromResult(PublishOutcome.Accepted(position));
    }

    public Task<bool> BroadcastFromMemberAsync(string senderId, string @event, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderId);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);

        // Root without presence has no member list: every connection of an attached edge is in root.
        var allowed = _state.Members.ContainsKey(senderId) || (IsRoot && _state.AttachedEdges.Count > 0);
        if (!allowed)
        {
            Log.BroadcastFromNonMemberDropped(logger, _room, senderId, @event);
            SiloMetrics.BroadcastFromNonMember();
            return Task.FromResult(false);
        }

        FanOut(new Message(_room, @event, "", senderId, payload), except: senderId);
        return Task.FromResult(true);
    }

    public Task PublishAsync(string @event, byte[] payload, string src = "") => PublishWithPositionAsync(@event, payload, src);

    public Task<long> PublishWithPositionAsync(string @event, byte[] payload, string src = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);

        src ??= "";
        return Task.FromResult(FanOut(new Message(_room, @event, "", src, payload), except: src.Length == 0 ? null : src));
    }

    public Task<RoomHistory> GetHistoryAsync(int count, long before = 0) =>
        Task.FromResult(Visible((log, end) => log.ReadLast(count, end), before));

    public Task<RoomHistory> GetHistorySinceAsync(long after, long before = 0) =>
        Task.FromResult(Visible((log, end) => log.ReadAfter(after, end), before));

    public Task<IReadOnlyList<string>> GetMembersAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _state.Members.Keys]);

    public async Task AttachEdgeAsync(string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (!_state.AttachedEdges.Contains(edgeId))
        {
            await WriteAsync(() => store.UpsertAsync(Partition, RowPartitions.AttachedEdgePrefix + edgeId, ""));
            _state.AttachedEdges.Add(edgeId);
            RebuildEdgeLists();
        }
    }

    public async Task DetachEdgeAsync(string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (_state.AttachedEdges.Contains(edgeId))
        {
            await WriteAsync(() => store.DeleteAsync(Partition, RowPartitions.AttachedEdgePrefix + edgeId));
            _state.AttachedEdges.Remove(edgeId);
            RebuildEdgeLists();
        }

        CollectIfEmpty();
    }

    private bool IsEmpty => _state.Members.Count == 0 && _state.AttachedEdges.Count == 0;

    /// <summary>
    /// Logs the frame and posts one delivery, shared by every target edge (it is immutable); allocation does not grow
    /// with members. Returns the frame's position (0 for root).
    /// </summary>
    private long FanOut(Message message, string? except)
    {
        var position = Append(message);
        var delivery = EdgeDelivery.ToRoom(message, except, position);
        SiloMetrics.Broadcasts.Add(1);

        // The sender's edge has nobody else to deliver to when the sender is its only member and it is not attached.
        string? skip = null;
        if (except is not null
            && _state.Members.TryGetValue(except, out var senderEdge)
            && _membersPerEdge[senderEdge] == 1
            && !_state.AttachedEdges.Contains(senderEdge))
        {
            skip = senderEdge;
        }

        foreach (var edge in _fanOutEdges)
        {
            if (edge != skip)
            {
                Post(edge, delivery);
            }
        }

        return position;
    }

    /// <summary>
    /// A v2 join's history, right after its join_ack in the same turn, so it reaches the joiner before the room's live
    /// frames: the frames asked for below <paramref name="before"/>, oldest first at their positions, from the ring
    /// (Post makes a durable room wait for any not yet stored), or <c>history_gone</c> when the log no longer reaches
    /// back to the position asked for.
    /// </summary>
    private void PostHistory(string connectionId, string edgeId, JoinHistory? history, long before)
    {
        if (history is null || _log is null)
        {
            return;
        }

        RoomHistory read;
        if (history.Since is { } since)
        {
            read = _log.ReadAfter(since, before);
            if (!read.Complete)
            {
                Post(edgeId, EdgeDelivery.ToConnection(connectionId, ErrorFrames.Create(_room, ErrorFrames.HistoryGone, EventNames.Join)));
                return;
            }
        }
        else if (history.Count > 0)
        {
            read = _log.ReadLast(history.Count, before);
        }
        else
        {
            return;
        }

        PostFrames(connectionId, edgeId, read.Frames, MembershipChange.None);
    }

    /// <summary>
    /// Logged frames to one member, oldest first at their positions, without those it never receives live: its own
    /// broadcasts and its own new_member and member_left.
    /// </summary>
    private void PostFrames(string connectionId, string edgeId, IReadOnlyList<LoggedFrame> frames, MembershipChange change)
    {
        byte[]? idBytes = null;
        foreach (var frame in frames)
        {
            var message = frame.Message;
            if (message.Src == connectionId)
            {
                continue;
            }

            if (message.Event is EventNames.NewMember or EventNames.MemberLeft
                && message.Payload.AsSpan().SequenceEqual(idBytes ??= Encoding.UTF8.GetBytes(connectionId)))
            {
                continue;
            }

            Post(edgeId, EdgeDelivery.ToConnection(connectionId, message, change, frame.Position));
        }
    }

    private void PostJoinAck(string connectionId, string edgeId, long position) =>
        Post(edgeId, EdgeDelivery.ToConnection(
            connectionId,
            new Message(_room, EventNames.JoinAck, "", connectionId, MemberListJson(connectionId)),
            MembershipChange.Joined,
            position));

    /// <summary>
    /// The member ids as a JSON array of strings, UTF-8: the join_ack payload. The joiner comes first; the list
    /// stops before it would make the delivery larger than one edge batch may carry
    /// (<see cref="EdgeOutboxOptions.MaxBatchBytes"/>), because the outbox drops a delivery over that size and the
    /// joiner would get no join_ack at all. A joiner of a bigger room thus gets itself and as many others as fit;
    /// the whole list is <see cref="IRoomGrain.GetMembersAsync"/>.
    /// </summary>
    private byte[] MemberListJson(string joiner)
    {
        var budget = Math.Max(outboxOptions.Value.MaxBatchBytes - JoinAckOverheadBytes - (2 * joiner.Length), 256);
        var buffer = new ArrayBufferWriter<byte>(Math.Min(2 + (_state.Members.Count * 40), budget + 64));
        var truncated = false;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(joiner);
            foreach (var member in _state.Members.Keys)
            {
                if (member == joiner)
                {
                    continue;
                }

                // Ids are ASCII in practice: length + quotes + comma is the bytes it adds.
                if (writer.BytesPending + writer.BytesCommitted + member.Length + 3 > budget)
                {
                    truncated = true;
                    break;
                }

                writer.WriteStringValue(member);
            }

            writer.WriteEndArray();
        }

        if (truncated)
        {
            Log.JoinAckTruncated(logger, _room, _state.Members.Count, budget);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A room with nobody in it and no attached edge goes away: rooms cost nothing while unused.</summary>
    private void CollectIfEmpty()
    {
        if (IsEmpty)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// One row written before memory changes: a failed write leaves the room as it was (the caller sees the
    /// exception), so memory never claims what storage does not hold.
    /// </summary>
    private async Task WriteAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception ex)
        {
            Log.StateWriteFailed(logger, ex, _room);
            throw;
        }
    }

    private void RebuildIndex()
    {
        _membersPerEdge.Clear();
        foreach (var edge in _state.Members.Values)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_membersPerEdge, edge, out _)++;
        }

        RebuildEdgeLists();
    }

    private void AddToIndex(string edgeId)
    {
        CollectionsMarshal.GetValueRefOrAddDefault(_membersPerEdge, edgeId, out var existed)++;
        if (!existed)
        {
            RebuildEdgeLists();
        }
    }

    private void RemoveFromIndex(string edgeId)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_membersPerEdge, edgeId);
        if (Unsafe.IsNullRef(ref count))
        {
            return;
        }

        if (--count == 0)
        {
            _membersPerEdge.Remove(edgeId);
            RebuildEdgeLists();
        }
    }

    /// <summary>Runs only when the set of edges changes (an edge's first member or last member), not per message.</summary>
    private void RebuildEdgeLists()
    {
        _memberEdges = [.. _membersPerEdge.Keys];
        _fanOutEdges = _state.AttachedEdges.Count == 0
            ? _memberEdges
            : [.. _membersPerEdge.Keys.Union(_state.AttachedEdges, StringComparer.Ordinal)];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Room {Room}: dropped a {Event} broadcast from {SenderId}, who is not a member")]
        public static partial void BroadcastFromNonMemberDropped(ILogger logger, string room, string senderId, string @event);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Room {Room}: writing a membership row failed; the change was not made")]
        public static partial void StateWriteFailed(ILogger logger, Exception exception, string room);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Room {Room}: {Members} members do not fit in one join_ack of {Budget} bytes; it lists the joiner and as many others as fit")]
        public static partial void JoinAckTruncated(ILogger logger, string room, int members, int budget);
    }
}
