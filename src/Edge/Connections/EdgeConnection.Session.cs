using WsRooms.Edge.Sessions;
using WsRooms.Grains;

namespace WsRooms.Edge.Connections;

// The v2 session of a connection: opened at connect, and (EdgeConnection.Close.cs) suspended or closed at the end.
internal sealed partial class EdgeConnection
{
    /// <summary>
    /// A fresh v2 connect: opens the session in the cluster (<see cref="IConnectionGrain.OpenSessionAsync"/>) and queues
    /// its <c>wsrooms.session</c> frame. Called after root's join_ack is queued and before the connection is in the
    /// registry, so the two are its first frames. False when the cluster could not open it (the caller closes with 1011).
    /// </summary>
    internal async Task<bool> OpenSessionAsync()
    {
        var session = Session!;
        lock (_gate)
        {
            // Before the call: should it time out after all having opened the grain, closing must still close it.
            _registered = true;
        }

        SessionStart start;
        try
        {
            start = await Grain.OpenSessionAsync(EdgeId, Claims, Identity).WaitAsync(_options.GrainCallTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.SessionOpenFailed(_logger, Id, e);
            return false;
        }

        Attach(session, start.Attachment);
        TrySend(SessionFrames.Session(start));
        return true;
    }

    /// <summary>
    /// A resume socket whose resume succeeded: attached to the session, with <c>(root, join_ack, "", id, [id])</c> and
    /// <c>wsrooms.resumed</c> put ahead of whatever the stream has queued for it meanwhile (its replay), so they are its
    /// first frames.
    /// </summary>
    internal void AttachResumed(SessionResume resume)
    {
        Attach(Session!, resume.Session!.Attachment);
        var ack = WireEncoding.Encode(Dispatch.FrameDispatcher.RootJoinAck(Id), v2: true, 0);
        var resumed = WireEncoding.Encode(SessionFrames.Resumed(resume), v2: true, 0);
        lock (_gate)
        {
            if (_closing == 0)
            {
                _queue.EnqueueFirst(resumed);
                _queue.EnqueueFirst(ack);
            }
        }
    }

    /// <summary>Marks that a Superseded delivery for this session's older socket here is still to come (<see cref="SessionLink.AwaitsSuperseded"/>).</summary>
    internal void AwaitSuperseded(bool toCome)
    {
        lock (_gate)
        {
            Session!.AwaitsSuperseded = toCome;
        }
    }

    /// <summary>True, once, when this socket was waiting for the Superseded delivery of its older one: it closes nothing.</summary>
    internal bool TakeAwaitedSuperseded()
    {
        lock (_gate)
        {
            if (Session is not { AwaitsSuperseded: true } session)
            {
                return false;
            }

            session.AwaitsSuperseded = false;
            return true;
        }
    }

    private void Attach(SessionLink session, long attachment)
    {
        lock (_gate)
        {
            _registered = true;
            session.Attachment = attachment;
            session.IsAttached = true;
        }
    }
}
