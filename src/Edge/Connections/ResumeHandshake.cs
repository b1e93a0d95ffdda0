using System.Buffers;
using System.Net.WebSockets;
using WsRooms.Edge.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Edge.Connections;

/// <summary>
/// The start of a resume socket (<c>/ws?resume=1</c> on v2, docs/protocol.md "Resume"): the edge sends nothing and
/// waits, up to <see cref="FirstFrameTimeout"/>, for the client's first frame, which must be
/// <c>(root, wsrooms.resume, …)</c>. Anything else closes the socket: a well-formed frame of another kind, or none in
/// time, with 1008; bytes that are not a v2 frame with the code they get on any connection.
/// </summary>
internal static class ResumeHandshake
{
    /// <summary>How long a resume socket may stay silent before its first frame: the protocol's 10 s.</summary>
    public static readonly TimeSpan FirstFrameTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads the first frame; returns its resume request, or null once the socket has been closed (or has ended) for
    /// not beginning with one.
    /// </summary>
    public static async Task<ResumeFrame?> ReadAsync(WebSocket socket, WsRoomsEdgeOptions options, CancellationToken requestAborted)
    {
        var maxMessage = options.Limits.MaxMessageBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(maxMessage + 1);
        var read = ReadMessageAsync(socket, buffer, maxMessage);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        if (await Task.WhenAny(read, Task.Delay(FirstFrameTimeout, timeout.Token)).ConfigureAwait(false) != read)
        {
            // The read still owns the buffer: it is left to the collector rather than handed back while in use.
            await CloseAsync(socket, CloseCodes.PolicyViolation, "no resume frame within 10 s", read, options.CloseTimeout).ConfigureAwait(false);
            return null;
        }

        timeout.Cancel();
        try
        {
            var (status, reason, frame) = Judge(await read.ConfigureAwait(false), buffer, options.Limits);
            if (frame is not null)
            {
                return frame;
            }

            if (status is { } code)
            {
                await CloseAsync(socket, code, reason, null, options.CloseTimeout).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            return null; // the client went before its first frame
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (WebSocketCloseStatus? Status, string Reason, ResumeFrame? Frame) Judge((WebSocketMessageType Type, int Length) read, byte[] buffer, FrameLimits limits)
    {
        switch (read.Type)
        {
            case WebSocketMessageType.Close:
                return (null, "", null);
            case WebSocketMessageType.Text:
                return (CloseCodes.TextMessage, "text messages are not part of the protocol; send binary frames", null);
        }

        if (read.Length < 0)
        {
            return (CloseCodes.MessageTooBig, FrameError.MessageTooLarge.ToReason(), null);
        }

        var error = Message.TryParse(buffer.AsSpan(0, read.Length), limits, ProtocolVersion.V2, out var message, out _);
        if (error != FrameError.None)
        {
            return (error.ToCloseStatus(), error.ToReason(), null);
        }

        return ResumeFrame.IsResumeFrame(message!)
            ? (null, "", ResumeFrame.Parse(message!.Payload))
            : (CloseCodes.PolicyViolation, "a resume socket must begin with wsrooms.resume", null);
    }

    /// <summary>One whole message; a length of -1 when it is over the limit (its bytes were read and dropped).</summary>
    private static async Task<(WebSocketMessageType Type, int Length)> ReadMessageAsync(WebSocket socket, byte[] buffer, int maxMessage)
    {
        var length = 0;
        var tooBig = false;
        while (true)
        {
            var result = await socket.ReceiveAsync(tooBig ? buffer.AsMemory() : buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, 0);
            }

            if (!tooBig)
            {
                length += result.Count;
                tooBig = length > maxMessage;
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, tooBig ? -1 : length);
            }
        }
    }

    /// <summary>Sends the close frame and waits (bounded) for the client's, so the code is not lost to a reset; then the socket goes.</summary>
    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason, Task? pendingRead, TimeSpan closeTimeout)
    {
        using var timeout = new CancellationTokenSource(closeTimeout);
        try
        {
            await socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
            if (pendingRead is not null)
            {
                await pendingRead.WaitAsync(timeout.Token).ConfigureAwait(false);
            }

            var drain = new byte[256];
            while (socket.State is WebSocketState.CloseSent)
            {
                await socket.ReceiveAsync(drain.AsMemory(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or TimeoutException)
        {
        }
        finally
        {
            socket.Abort();
        }
    }
}
