using Microsoft.Extensions.Logging;
using WsRooms.Delivery;
using WsRooms.Grains.RoomLogs;
using WsRooms.Grains.Sessions;
using WsRooms.Grains.Storage;
using WsRooms.Protocol;

namespace WsRooms.Grains.Connections;

/// <summary>
/// The v2 session of a connection (docs/protocol.md, "Sessions"): its resume token, its suspension with a grace
/// timer, its direct log, and its resume on another edge host.
/// </summary>
/// <remarks>
/// <para>
/// Suspended, the grain stays active (its grace timer keeps it alive) and stays a member of its rooms, whose frames
/// wait in the room logs; direct messages wait in its <see cref="DirectLog"/>. The direct log is in memory: a session
/// whose grain loses its activation (its silo dies) keeps its id and rooms only where the connection state is durable,
/// and its direct log then continues above every earlier position. With memory storage such a session is lost with
/// its silo, as a v1 connection is.
/// </para>
/// <para>
/// When it was suspended is persisted (<see cref="ConnectionState.SuspendedUntil"/>): an activation that finds a
/// suspended session sets its grace timer again for what is left, so with durable storage it still ends on time once
/// something activates it (a send, a resume, its edge's lease reaper).
/// </para>
/// </remarks>
internal sealed partial class ConnectionGrain
{
    private DirectLog? _direct;
    private IGrainTimer? _graceTimer;

    // Set while a resume moves the session: direct messages then wait in the log for the resume's replay.
    private bool _holdDirect;

    private DirectLog Direct => _direct ??= new DirectLog(RoomLog.FirstPositionAt(clock.GetUtcNow()), sessionOptions.Value.MaxDirectFrames);

    private bool IsSuspended => State.SuspendedUntil is not null;

    public async Task<SessionStart> OpenSessionAsync(string edgeId, IReadOnlyDictionary<string, string> claims, string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        await OpenAsync(edgeId, claims);
        State.IsSession = true;
        State.Identity = identity;
        State.SuspendedUntil = null;
        var start = IssueToken();
        await state.WriteStateAsync();
        return start;
    }

    public async Task<bool> SuspendAsync(long attachment)
    {
        if (!State.IsOpen || !State.IsSession || IsSuspended || attachment != State.Attachment)
        {
            return false;
        }

        await SuspendCoreAsync();
        return true;
    }

    public Task CloseSessionAsync(long attachment) =>
        State.IsSession && attachment != State.Attachment ? Task.CompletedTask : CloseAsync();

    public Task EdgeLostAsync(string edgeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeId);
        if (State.IsOpen && State.EdgeId != edgeId)
        {
            return Task.CompletedTask; // moved on to another edge: that edge's row is the live one
        }

        if (State.IsOpen && State.IsSession)
        {
            return IsSuspended ? Task.CompletedTask : SuspendCoreAsync();
        }

        return CloseAsync();
    }

    public async Task<SessionResume> ResumeAsync(SessionResumeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (token, identity, edgeId) = (request.Token, request.Identity, request.EdgeId);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrEmpty(edgeId);

        // A used token no longer matches: only the current one's hash is kept.
        if (!State.IsOpen || !State.IsSession
            || !SessionTokens.TryGetSessionId(token, out var named) || named != Id
            || !SessionTokens.Matches(token, State.TokenHash))
        {
            Log.ResumeRefused(logger, Id, ResumeOutcome.UnknownToken);
            return SessionResume.Refused(ResumeOutcome.UnknownToken);
        }

        // Not spent: whoever holds a stolen token without the identity cannot lock its owner out.
        if (!string.Equals(identity, State.Identity, StringComparison.Ordinal))
        {
            Log.ResumeRefused(logger, Id, ResumeOutcome.ForeignIdentity);
            return SessionResume.Refused(ResumeOutcome.ForeignIdentity);
        }

        if (State.SuspendedUntil is { } until && clock.GetUtcNow() >= until)
        {
            // The grace timer is due but has not run yet: the session has ended all the same.
            await EndSuspendedAsync();
            Log.ResumeRefused(logger, Id, ResumeOutcome.UnknownToken);
            return SessionResume.Refused(ResumeOutcome.UnknownToken);
        }

        var previousEdge = State.EdgeId;
        var socketOpen = !IsSuspended;
        StopGraceTimer();

        // Direct messages that arrive (interleaved) while the resume writes wait in the log and come with its replay:
        // posted live meanwhile, they could reach the new socket ahead of the replay, or twice.
        _holdDirect = true;
        try
        {
            return await ResumeCoreAsync(request, previousEdge, socketOpen);
        }
        finally
        {
            _holdDirect = false;
        }
    }

    private async Task<SessionResume> ResumeCoreAsync(SessionResumeRequest request, string previousEdge, bool socketOpen)
    {
        var edgeId = request.EdgeId;

        // Listed under the new edge before the state says so, as in OpenAsync: a dying new edge's reaper then finds it.
        if (previousEdge != edgeId)
        {
            await store.UpsertAsync(RowPartitions.EdgeConnections(edgeId), Id, "");
        }

        State.EdgeId = edgeId;
        State.SuspendedUntil = null;
        State.Attachment++;
        var start = IssueToken();

        // The old token is spent from this write on, whatever happens to the room moves after it.
        await state.WriteStateAsync();

        // Before anything else this grain posts for the session: the old socket is closed, then the new one gets the
        // direct messages it missed (the edge host routes both ahead of the rooms' moves).
        if (socketOpen)
        {
            outbox.Post(previousEdge, EdgeDelivery.ToConnection(Id, new Message(EventNames.RootRoom, EventNames.Resumed, "", Id, []), MembershipChange.Superseded));
        }

        var direct = false;
        if (request.DirectAfter is { } directAfter)
        {
            var missed = Direct.ReadAfter(directAfter);
            direct = missed.Complete;
            if (direct)
            {
                foreach (var frame in missed.Frames)
                {
                    outbox.Post(edgeId, EdgeDelivery.ToConnection(Id, frame.Message, MembershipChange.Replayed, frame.Position));
                }
            }
        }

        _holdDirect = false;
        if (previousEdge != edgeId)
        {
            await store.DeleteAsync(RowPartitions.EdgeConnections(previousEdge), Id);
        }

        var rooms = State.Rooms.ToArray();
        var moves = new Task<RoomMove>[rooms.Length];
        for (var i = 0; i < rooms.Length; i++)
        {
            moves[i] = GrainFactory.GetGrain<IRoomGrain>(rooms[i]).MoveMemberAsync(Id, edgeId, request.Rooms.TryGetValue(rooms[i], out var after) ? after : null);
        }

        await Task.WhenAll(moves);
        var replayed = new Dictionary<string, bool>(rooms.Length, StringComparer.Ordinal);
        for (var i = 0; i < rooms.Length; i++)
        {
            if (rooms[i] != EventNames.RootRoom)
            {
                replayed[rooms[i]] = moves[i].Result.Replayed;
            }
        }

        Log.Resumed(logger, Id, previousEdge, edgeId);
        return new SessionResume(ResumeOutcome.Resumed, Id, start, replayed, direct, previousEdge, socketOpen);
    }

    /// <summary>A live session's message goes to its socket at its position; a suspended one's waits in the log.</summary>
    private long SendToSession(Message message)
    {
        var position = Direct.Append(message);
        if (!IsSuspended && !_holdDirect)
        {
            outbox.Post(State.EdgeId, EdgeDelivery.ToConnection(Id, message, MembershipChange.None, position));
        }

        return position;
    }

    private SessionStart IssueToken()
    {
        var (token, hash) = SessionTokens.Create(Id);
        State.TokenHash = hash;
        return new SessionStart(token, sessionOptions.Value.GracePeriod, State.Attachment);
    }

    private async Task SuspendCoreAsync()
    {
        var grace = sessionOptions.Value.GracePeriod;
        State.SuspendedUntil = clock.GetUtcNow() + grace;
        await state.WriteStateAsync();
        StartGraceTimer(grace);
        Log.Suspended(logger, Id, State.EdgeId, grace);
    }

    /// <summary>On activation: a session suspended before gets its timer again, for what is left of its grace.</summary>
    private void ActivateSession()
    {
        if (State.IsOpen && State.SuspendedUntil is { } until)
        {
            var left = until - clock.GetUtcNow();
            StartGraceTimer(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    private void StartGraceTimer(TimeSpan dueTime)
    {
        StopGraceTimer();

        // KeepAlive: an idle suspended session must not be collected before its grace ends, or nobody would end it.
        _graceTimer = this.RegisterGrainTimer(
            _ => EndSuspendedAsync(),
            new GrainTimerCreationOptions { DueTime = dueTime, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private void StopGraceTimer()
    {
        _graceTimer?.Dispose();
        _graceTimer = null;
    }

    private async Task EndSuspendedAsync()
    {
        StopGraceTimer();
        if (!State.IsOpen || !IsSuspended)
        {
            return; // resumed or closed meanwhile
        }

        Log.GraceExpired(logger, Id);
        await CloseAsync();
    }
}
