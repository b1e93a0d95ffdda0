using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using WsRooms.Protocol;

namespace WsRooms.Testing;

/// <summary>The v2 part of <see cref="TestClient"/> (docs/protocol.md, v2): six-field frames, positions, the session and its resume.</summary>
public sealed partial class TestClient
{
    /// <summary>The WebSocket subprotocol a client asks for to speak v2.</summary>
    public const string V2SubProtocol = "wsrooms.v2";

    private readonly ConcurrentDictionary<string, long> _roomPositions = new(StringComparer.Ordinal);
    private long _directPosition;

    /// <summary>The session's current resume token (v2): from <c>wsrooms.session</c>, or from the <c>wsrooms.resumed</c> that resumed it.</summary>
    public string SessionToken { get; private set; } = "";

    /// <summary>The session's grace period in milliseconds (v2), as the server announced it.</summary>
    public int GraceMs { get; private set; }

    /// <summary>The server's answer to this socket's resume, for a client made by <see cref="ResumeAsync"/>; else null.</summary>
    public ResumedPayload? Resumed { get; private set; }

    /// <summary>
    /// The last position received in each room (v2), as frames arrive from the socket, whether or not the test has
    /// read them yet: what a client would name in its resume.
    /// </summary>
    public IReadOnlyDictionary<string, long> RoomPositions => new Dictionary<string, long>(_roomPositions, StringComparer.Ordinal);

    /// <summary>The last position received in this session's direct log (v2), or null before the first direct message.</summary>
    public long? DirectPosition => Interlocked.Read(ref _directPosition) is var position && position > 0 ? position : null;

    /// <summary>
    /// Connects with the <c>wsrooms.v2</c> subprotocol as a fresh session and waits for root's join_ack and the
    /// <c>wsrooms.session</c> that follows it (<see cref="SessionToken"/>, <see cref="GraceMs"/>).
    /// </summary>
    public static async Task<TestClient> ConnectV2Async(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = await OpenV2Async(uri, resume: false, configure);
        try
        {
            var first = await client.NextFrameAsync();
            client.FirstFrame = first.Message;
            if (!first.Is(EventNames.RootRoom, EventNames.JoinAck))
            {
                throw new InvalidDataException($"The first v2 frame was {first}, not root's join_ack.");
            }

            client.Id = first.Message.Src;
            await client.ReadSessionAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens a v2 socket and waits for nothing, for tests of the handshake itself; with <paramref name="resume"/> it
    /// asks for a resume socket (<c>?resume=1</c>), on which the server sends nothing until the client's first frame.
    /// Throws <see cref="InvalidDataException"/> when the server does not select <see cref="V2SubProtocol"/>.
    /// </summary>
    public static async Task<TestClient> OpenV2Async(Uri uri, bool resume = false, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new TestClient(ProtocolVersion.V2);
        configure?.Invoke(client._socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await client._socket.ConnectAsync(resume ? WithResume(uri) : uri, timeout.Token);
        if (client._socket.SubProtocol != V2SubProtocol)
        {
            var selected = client._socket.SubProtocol ?? "none";
            await client.DisposeAsync();
            throw new InvalidDataException($"The server selected subprotocol '{selected}', not {V2SubProtocol}.");
        }

        client.StartReading();
        return client;
    }

    /// <summary>
    /// Opens a resume socket to <paramref name="uri"/>, sends <paramref name="payload"/> as its first frame and reads
    /// the answer: root's join_ack (<see cref="Id"/>), then, when the resume failed, the fresh session's
    /// <c>wsrooms.session</c>, then <c>wsrooms.resumed</c> (<see cref="Resumed"/>). Frames after it (the replay, then
    /// live traffic) are left for the test. Whether it resumed is <see cref="Resumed"/>; this does not throw when not.
    /// </summary>
    public static async Task<TestClient> ResumeAsync(Uri uri, ResumePayload payload, Action<ClientWebSocketOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var client = await OpenV2Async(uri, resume: true, configure);
        try
        {
            await client.SendAsync(payload.ToMessage());
            var first = await client.NextFrameAsync();
            client.FirstFrame = first.Message;
            if (!first.Is(EventNames.RootRoom, EventNames.JoinAck))
            {
                throw new InvalidDataException($"The first frame after a resume was {first}, not root's join_ack.");
            }

            client.Id = first.Message.Src;
            var next = await client.NextFrameAsync();
            if (next.Is(EventNames.RootRoom, EventNames.Session))
            {
                client.ReadSession(next);
                next = await client.NextFrameAsync();
            }

            if (!next.Is(EventNames.RootRoom, EventNames.Resumed))
            {
                throw new InvalidDataException($"After a resume's join_ack came {next}, not wsrooms.resumed.");
            }

            client.Resumed = ResumedPayload.Parse(next.Message.Payload);
            if (client.Resumed is { Resumed: true, Token: { } token })
            {
                client.SessionToken = token;
                client.GraceMs = client.Resumed.GraceMs ?? client.GraceMs;
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The resume this client would send now: its token, the last position it received in each room it saw a
    /// position in, and its last direct position.
    /// </summary>
    public ResumePayload CreateResumePayload() => new(SessionToken, RoomPositions, DirectPosition);

    /// <summary>
    /// Ends the socket without a closing handshake, as a dropped network does: a v2 session is suspended, not closed.
    /// </summary>
    public void Abort()
    {
        _socket.Abort();
        ResumeReading(); // a paused loop must see the aborted socket to end
    }

    /// <summary>Sends <paramref name="message"/> with <paramref name="meta"/> as its sixth field (v2 only; v1 has no meta).</summary>
    public async Task SendAsync(Message message, ReadOnlyMemory<byte> meta)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Version == ProtocolVersion.V1 && !meta.IsEmpty)
        {
            throw new InvalidOperationException("A v1 frame has no meta.");
        }

        await SendRawAsync(Version == ProtocolVersion.V2 ? message.ToBytes(ProtocolVersion.V2, meta.Span) : message.ToBytes());
    }

    /// <summary>
    /// Sends <paramref name="payload"/> as <paramref name="event"/> to <paramref name="room"/> (or, with
    /// <paramref name="dst"/>, to that connection) with the client message id <paramref name="mid"/> in meta, which asks
    /// for a <c>wsrooms.ack</c> carrying it (v2). Without a mid the ack comes all the same, without one.
    /// </summary>
    public Task PublishAsync(string room, string @event, string payload, string? mid, string dst = "") =>
        SendAsync(Message.FromText(room, @event, dst, Id, payload), mid is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(mid));

    /// <summary>Skips frames until the <c>wsrooms.ack</c> carrying <paramref name="mid"/> arrives (v2), and returns it.</summary>
    public Task<ReceivedFrame> WaitForAckAsync(string mid, TimeSpan? timeout = null) =>
        WaitForFrameAsync(frame => IsAckOf(frame, mid), timeout);

    /// <summary>True when <paramref name="frame"/> is the <c>wsrooms.ack</c> of the frame whose mid was <paramref name="mid"/>.</summary>
    public static bool IsAckOf(ReceivedFrame frame, string mid)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Event == EventNames.Ack
            && frame.Json.TryGetProperty("mid", out var value)
            && value.ValueKind == JsonValueKind.String
            && value.GetString() == mid;
    }

    /// <summary>
    /// Joins <paramref name="room"/> with <paramref name="payload"/> as the join's payload (v2: empty, <c>{"history": N}</c>
    /// or <c>{"since": S}</c>) and returns the join_ack, whose position is that of this client's own <c>new_member</c>.
    /// Frames after it (history, <c>wsrooms.error</c>) are left for the test.
    /// </summary>
    public async Task<ReceivedFrame> JoinForAckAsync(string room, string payload = "")
    {
        await SendAsync(Message.FromText(room, EventNames.Join, Id, Id, payload));
        var ack = await WaitForFrameAsync(room, EventNames.JoinAck);
        if (ack.Message.Src != Id)
        {
            throw new InvalidDataException($"Client {Id}: the join_ack of {room} came from '{ack.Message.Src}', not from this client's id.");
        }

        return ack;
    }

    private ReceivedFrame Parse(ReadOnlySpan<byte> bytes)
    {
        if (Version == ProtocolVersion.V1)
        {
            var error = Message.TryParse(bytes, FrameLimits.Default, out var message);
            return error == FrameError.None
                ? new ReceivedFrame(message!, [], null)
                : throw new InvalidDataException($"Client {Id}: the server sent a frame that does not parse ({error}).");
        }

        var v2Error = Message.TryParse(bytes, FrameLimits.Default, ProtocolVersion.V2, out var v2Message, out var meta);
        if (v2Error != FrameError.None)
        {
            throw new InvalidDataException($"Client {Id}: the server sent a v2 frame that does not parse ({v2Error}).");
        }

        if (!FramePosition.TryRead(meta, out var position) || position > long.MaxValue)
        {
            throw new InvalidDataException($"Client {Id}: the server sent a meta of {meta.Length} bytes, neither empty nor a position.");
        }

        return new ReceivedFrame(v2Message!, meta, (long?)position);
    }

    // Room frames have no dst; a positioned frame with one is a direct message, at its place in this session's direct log.
    private void Track(ReceivedFrame frame)
    {
        if (frame.Position is not { } position)
        {
            return;
        }

        if (frame.Message.Dst.Length > 0)
        {
            Interlocked.Exchange(ref _directPosition, position);
        }
        else
        {
            _roomPositions[frame.Room] = position;
        }
    }

    private async Task ReadSessionAsync()
    {
        var session = await NextFrameAsync();
        if (!session.Is(EventNames.RootRoom, EventNames.Session))
        {
            throw new InvalidDataException($"Client {Id}: after root's join_ack came {session}, not wsrooms.session.");
        }

        ReadSession(session);
    }

    private void ReadSession(ReceivedFrame session)
    {
        var json = session.Json;
        SessionToken = json.GetProperty("token").GetString() ?? throw new InvalidDataException("wsrooms.session carried no token.");
        GraceMs = json.GetProperty("grace_ms").GetInt32();
    }

    private static Uri WithResume(Uri uri)
    {
        var builder = new UriBuilder(uri);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&resume=1" : "resume=1";
        return builder.Uri;
    }
}
