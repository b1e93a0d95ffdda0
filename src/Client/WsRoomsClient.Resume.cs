using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using WsRooms.Protocol;

namespace WsRooms.Client;

public sealed partial class WsRoomsClient
{
    // The grace period assumed when the server named none: the protocol's default.
    private const int DefaultGraceMs = 30_000;

    // v2: the session's current resume token (single-use: each resume brings the next) and grace period.
    private string _token = "";
    private int _graceMs;

    /// <summary>What a resume socket's handshake gave: the socket, whose next frames are the replay and then live traffic.</summary>
    private sealed record ResumeHandshake(
        ClientWebSocket Socket, string Id, bool Resumed, SessionFrame? Session, IReadOnlyDictionary<string, bool> Rooms, bool Direct);

    // Tries to resume until it works or the session's grace period (or ResumeTimeout) is over; false: give up.
    private async Task<bool> ResumeAsync(byte[] buffer)
    {
        var dropped = Stopwatch.GetTimestamp();
        var limit = _options.ResumeTimeout ?? TimeSpan.FromMilliseconds(_graceMs > 0 ? _graceMs : DefaultGraceMs);
        IReadOnlyList<Uri> uris = _options.ResumeUris.Count > 0 ? _options.ResumeUris : [Uri];
        var next = 0;
        for (var i = 0; i < uris.Count; i++)
        {
            if (uris[i] == Uri)
            {
                // Begin with the endpoint after the one that dropped: that one may be the edge host that died.
                next = i + 1;
                break;
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            var delay = Backoff(attempt);
            if (Stopwatch.GetElapsedTime(dropped) + delay > limit)
            {
                return false;
            }

            try
            {
                await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            var uri = uris[next++ % uris.Count];
            ResumeHandshake handshake;
            try
            {
                handshake = await HandshakeAsync(uri, buffer).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or IOException or InvalidDataException or HttpRequestException or JsonException or
                                          WsRoomsConnectionClosedException or TimeoutException ||
                                      (e is OperationCanceledException && !_stopping.IsCancellationRequested))
            {
                continue;
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            if (_stopping.IsCancellationRequested || _closeRequested)
            {
                Discard(handshake.Socket);
                return false;
            }

            await AdoptAsync(handshake, uri).ConfigureAwait(false);
            Report(new WsRoomsResume(handshake.Resumed, Id, uri, handshake.Rooms, handshake.Direct, attempt, Stopwatch.GetElapsedTime(dropped)));
            return true;
        }
    }

    // The first wait is a random share of ResumeDelay, so the clients of one dead edge host do not all come at once;
    // then it doubles, with jitter, up to MaxResumeDelay.
    private TimeSpan Backoff(int attempt)
    {
        var initial = _options.ResumeDelay.TotalMilliseconds;
        if (attempt == 1)
        {
            return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * initial);
        }

        var ceiling = Math.Min(_options.MaxResumeDelay.TotalMilliseconds, initial * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    // Opens /ws?resume=1 and presents the token and the positions; reads up to wsrooms.resumed.
    private async Task<ResumeHandshake> HandshakeAsync(Uri uri, byte[] buffer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = await OpenSocketAsync(WithResume(uri), _options, timeout.Token).ConfigureAwait(false);
        try
        {
            if (socket.SubProtocol != V2SubProtocol)
            {
                throw new InvalidDataException($"The server at {uri} did not select {V2SubProtocol}: no session to resume there.");
            }

            var request = FrameWriter.ToArray(EventNames.RootRoom, EventNames.Resume, "", "", ResumePayload(), ProtocolVersion.V2, []);
            await socket.SendAsync(request, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token).ConfigureAwait(false);

            var (first, _) = await ReadHandshakeFrameAsync(socket, buffer, _options.Limits, ProtocolVersion.V2, timeout.Token).ConfigureAwait(false);
            if (first.Room != EventNames.RootRoom || first.Event != EventNames.JoinAck || first.Src.Length == 0)
            {
                throw new InvalidDataException("The first frame of a resume was not root's join_ack.");
            }

            SessionFrame? session = null;
            // A refused resume carries on as a fresh connection: join_ack, wsrooms.session, then wsrooms.resumed.
            for (var frames = 0; frames < 2; frames++)
            {
                var (frame, _) = await ReadHandshakeFrameAsync(socket, buffer, _options.Limits, ProtocolVersion.V2, timeout.Token).ConfigureAwait(false);
                if (frame.Room == EventNames.RootRoom && frame.Event == EventNames.Session)
                {
                    session = SessionFrame.Parse(frame.Payload);
                    continue;
                }

                if (frame.Room == EventNames.RootRoom && frame.Event == EventNames.Resumed)
                {
                    return ReadResumed(socket, first.Src, frame.Payload, session);
                }

                break;
            }

            throw new InvalidDataException("A resume was not answered with wsrooms.resumed.");
        }
        catch
        {
            Discard(socket);
            throw;
        }
    }

    private static ResumeHandshake ReadResumed(ClientWebSocket socket, string id, byte[] payload, SessionFrame? session)
    {
        using var json = JsonDocument.Parse(payload);
        var root = json.RootElement;
        var resumed = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("resumed", out var r) && r.ValueKind == JsonValueKind.True;
        var rooms = new Dictionary<string, bool>(StringComparer.Ordinal);
        var direct = false;
        if (resumed)
        {
            session = SessionFrame.Read(root) ?? throw new InvalidDataException("wsrooms.resumed carried no new token.");
            if (root.TryGetProperty("rooms", out var list) && list.ValueKind == JsonValueKind.Object)
            {
                foreach (var room in list.EnumerateObject())
                {
                    rooms[room.Name] = room.Value.ValueKind == JsonValueKind.True;
                }
            }

            direct = root.TryGetProperty("direct", out var d) && d.ValueKind == JsonValueKind.True;
        }
        else if (session is null)
        {
            throw new InvalidDataException("A refused resume carried no wsrooms.session.");
        }

        return new ResumeHandshake(socket, id, resumed, session, rooms, direct);
    }

    private byte[] ResumePayload()
    {
        lock (_gate)
        {
            return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["token"] = _token,
                ["rooms"] = new Dictionary<string, long>(_positions, StringComparer.Ordinal),
                ["direct"] = _directPosition,
            });
        }
    }

    private static Uri WithResume(Uri uri)
    {
        var builder = new UriBuilder(uri);
        var query = builder.Query.TrimStart('?');
        builder.Query = query.Length == 0 ? "resume=1" : query + "&resume=1";
        return builder.Uri;
    }

    // Puts the new socket in place and, before any other send can, writes what the old one may have lost: every
    // unacknowledged frame in its original order, then the joins and leaves still awaited. A session that did not
    // resume starts again: a new id, its sends failed (they may or may not have landed), its rooms asked for again.
    private async Task AdoptAsync(ResumeHandshake handshake, Uri uri)
    {
        List<Outgoing> failed = [];
        List<byte[]> frames = [];
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var old = _socket;
            Volatile.Write(ref _socket, handshake.Socket);
            old.Dispose();
            Volatile.Write(ref _uri, uri);
            _token = handshake.Session!.Token;
            _graceMs = handshake.Session.GraceMs;
            lock (_gate)
            {
                List<string> rejoin = [];
                if (handshake.Resumed)
                {
                    _rooms.Clear();
                    _rooms.Add(EventNames.RootRoom);
                    _rooms.UnionWith(handshake.Rooms.Keys);
                    foreach (var room in _positions.Keys.Where(r => !_rooms.Contains(r)).ToList())
                    {
                        _positions.Remove(room);
                    }

                    frames.AddRange(_unacked.Values.Select(o => o.Frame));
                }
                else
                {
                    rejoin.AddRange(_rooms.Where(r => r != EventNames.RootRoom));
                    Volatile.Write(ref _id, handshake.Id);
                    _rooms.Clear();
                    _rooms.Add(EventNames.RootRoom);
                    _positions.Clear();
                    _directPosition = 0;
                    failed.AddRange(_unacked.Values);
                    _unacked.Clear();
                }

                foreach (var room in rejoin.Union(_pendingJoins.Keys))
                {
                    frames.Add(FrameWriter.ToArray(room, EventNames.Join, "", Id, [], ProtocolVersion.V2, []));
                }

                foreach (var room in _pendingLeaves.Keys)
                {
                    frames.Add(FrameWriter.ToArray(room, EventNames.Leave, "", Id, [], ProtocolVersion.V2, []));
                }
            }

            _socketUp = true;
            try
            {
                foreach (var frame in frames)
                {
                    await WriteHeldAsync(handshake.Socket, frame).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
            {
                // Dropped again at once: the receive loop sees it and resumes again, with everything still kept.
            }
        }
        finally
        {
            _sendLock.Release();
        }

        if (failed.Count > 0)
        {
            var lost = new WsRoomsConnectionClosedException("The session ended before the server acknowledged this frame: it may or may not have been delivered.");
            foreach (var outgoing in failed)
            {
                outgoing.Acknowledged?.TrySetException(lost);
            }

            _window.Release(failed.Count);
        }
    }

    private void Report(WsRoomsResume resume)
    {
        try
        {
            _options.OnResumed?.Invoke(resume);
        }
        catch (Exception e)
        {
            _options.OnCallbackError?.Invoke(e);
        }
    }
}
