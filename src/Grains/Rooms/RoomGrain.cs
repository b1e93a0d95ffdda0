using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using WsRooms.Delivery;
using WsRooms.Grains;
using WsRooms.Hosting;
using WsRooms.Protocol;

namespace WsRooms.Rooms;

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
/// </remarks>
internal sealed partial class RoomGrain(
    [PersistentState("room", WsRoomsStorage.Name)] IPersistentState<RoomState> state,
    IEdgeOutbox outbox,
    ILogger<RoomGrain> logger) : Grain, IRoomGrain
{
    // Derived from the state, kept in step with every change so a broadcast never walks the member list:
    // members per edge host, the edges with members, and those edges together with the attached ones.
    private readonly Dictionary<string, int> _membersPerEdge = new(StringComparer.Ordinal);
    private string[] _memberEdges = [];
    private string[] _fanOutEdges = [];
    private string _room = "";

    private RoomState State => state.State;

    private bool IsRoot => _room == EventNames.RootRoom;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _room = this.GetPrimaryKeyString();
        RebuildIndex();
        return Task.CompletedTask;
    }

    public async Task<bool> AddMemberAsync(string connectionId, string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);

        if (State.Members.ContainsKey(connectionId))
        {
            // Joining again only repeats the join_ack (PROTOCOL.md); nobody else hears of it.
            PostJoinAck(connectionId, edgeId);
            return false;
        }

        State.Members.Add(connectionId, edgeId);
        await WriteStateAsync();
        AddToIndex(edgeId);

        // join_ack first: the edge adds the joiner to its local index on it, and later fan-outs from this room,
        // new_member included, follow it on the same stream.
        PostJoinAck(connectionId, edgeId);

        var newMember = EdgeDelivery.ToRoom(
            new Message(_room, EventNames.NewMember, "", "", Encoding.UTF8.GetBytes(connectionId)),
            except: connectionId);
        foreach (var edge in _memberEdges)
        {
            if (edge == edgeId && _membersPerEdge[edge] == 1)
            {
                continue; // the joiner is alone on its edge: nobody there to tell
            }

            outbox.Post(edge, newMember);
        }

        return true;
    }

    public async Task<bool> RemoveMemberAsync(string connectionId, string edgeId, bool acknowledge)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);

        var wasMember = State.Members.Remove(connectionId, out var memberEdge);
        if (wasMember)
        {
            RemoveFromIndex(memberEdge!);
            if (IsEmpty)
            {
                await ClearStateAsync();
            }
            else
            {
                await WriteStateAsync();
            }
        }

        var idBytes = Encoding.UTF8.GetBytes(connectionId);
        if (acknowledge)
        {
            // Before member_left: the edge drops the leaver from its index first, so it is not told of itself.
            outbox.Post(edgeId, EdgeDelivery.ToConnection(
                connectionId,
                new Message(_room, EventNames.LeaveAck, "", connectionId, idBytes),
                MembershipChange.Left));
        }

        if (wasMember)
        {
            var memberLeft = EdgeDelivery.ToRoom(new Message(_room, EventNames.MemberLeft, "", "", idBytes), except: connectionId);
            foreach (var edge in _memberEdges)
            {
                outbox.Post(edge, memberLeft);
            }
        }

        CollectIfEmpty();
        return wasMember;
    }

    public Task<bool> BroadcastFromMemberAsync(string senderId, string @event, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderId);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);

        // Root without presence has no member list: every connection of an attached edge is in root.
        var allowed = State.Members.ContainsKey(senderId) || (IsRoot && State.AttachedEdges.Count > 0);
        if (!allowed)
        {
            LogBroadcastFromNonMemberDropped(logger, _room, senderId, @event);
            return Task.FromResult(false);
        }

        FanOut(new Message(_room, @event, "", senderId, payload), except: senderId);
        return Task.FromResult(true);
    }

    public Task PublishAsync(string @event, byte[] payload, string src = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(payload);

        src ??= "";
        FanOut(new Message(_room, @event, "", src, payload), except: src.Length == 0 ? null : src);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetMembersAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. State.Members.Keys]);

    public async Task AttachEdgeAsync(string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (State.AttachedEdges.Add(edgeId))
        {
            RebuildEdgeLists();
            await WriteStateAsync();
        }
    }

    public async Task DetachEdgeAsync(string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (State.AttachedEdges.Remove(edgeId))
        {
            RebuildEdgeLists();
            if (IsEmpty)
            {
                await ClearStateAsync();
            }
            else
            {
                await WriteStateAsync();
            }
        }

        CollectIfEmpty();
    }

    private bool IsEmpty => State.Members.Count == 0 && State.AttachedEdges.Count == 0;

    /// <summary>One delivery, shared by every target edge (it is immutable); allocation does not grow with members.</summary>
    private void FanOut(Message message, string? except)
    {
        var delivery = EdgeDelivery.ToRoom(message, except);

        // The sender's edge has nobody else to deliver to when the sender is its only member and it is not attached.
        string? skip = null;
        if (except is not null
            && State.Members.TryGetValue(except, out var senderEdge)
            && _membersPerEdge[senderEdge] == 1
            && !State.AttachedEdges.Contains(senderEdge))
        {
            skip = senderEdge;
        }

        foreach (var edge in _fanOutEdges)
        {
            if (edge != skip)
            {
                outbox.Post(edge, delivery);
            }
        }
    }

    private void PostJoinAck(string connectionId, string edgeId) =>
        outbox.Post(edgeId, EdgeDelivery.ToConnection(
            connectionId,
            new Message(_room, EventNames.JoinAck, "", connectionId, MemberListJson()),
            MembershipChange.Joined));

    /// <summary>Every member id as a JSON array of strings, UTF-8: the join_ack payload.</summary>
    private byte[] MemberListJson()
    {
        var buffer = new ArrayBufferWriter<byte>(2 + (State.Members.Count * 40));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var member in State.Members.Keys)
            {
                writer.WriteStringValue(member);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The seed's room GC: a room with nobody in it and no attached edge goes away.</summary>
    private void CollectIfEmpty()
    {
        if (IsEmpty)
        {
            DeactivateOnIdle();
        }
    }

    private async Task WriteStateAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            // Memory now differs from storage: drop the activation so the next call starts from what was stored.
            LogStateWriteFailed(logger, ex, _room);
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task ClearStateAsync()
    {
        try
        {
            await state.ClearStateAsync();
        }
        catch (Exception ex)
        {
            LogStateWriteFailed(logger, ex, _room);
            DeactivateOnIdle();
            throw;
        }
    }

    private void RebuildIndex()
    {
        _membersPerEdge.Clear();
        foreach (var edge in State.Members.Values)
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
        _fanOutEdges = State.AttachedEdges.Count == 0
            ? _memberEdges
            : [.. _membersPerEdge.Keys.Union(State.AttachedEdges, StringComparer.Ordinal)];
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Room {Room}: dropped a {Event} broadcast from {SenderId}, who is not a member")]
    private static partial void LogBroadcastFromNonMemberDropped(ILogger logger, string room, string senderId, string @event);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Room {Room}: writing state failed; the activation will be dropped")]
    private static partial void LogStateWriteFailed(ILogger logger, Exception exception, string room);
}
