using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;

namespace WsRooms.Edge.Transport;

/// <summary>
/// <c>WsRooms:DirectUpgrade</c>: a Kestrel connection middleware that serves WebSocket upgrades of the WsRooms path
/// itself, so that an idle WebSocket keeps only Kestrel's connection alive, not an HTTP/1.1 request, its
/// <see cref="HttpContext"/> and the hosting's activity and scope, which are most of what an idle connection costs
/// on the ASP.NET Core path. Anything else on the connection, and any request it does not recognise as such an upgrade
/// (<see cref="UpgradeRequest"/>), goes to Kestrel's HTTP pipeline untouched.
/// </summary>
/// <remarks>
/// The upgrade still runs <see cref="WebSocketEndpoint"/> whole, over an <see cref="HttpContext"/> made from the
/// request's head, so its admission (<see cref="ConnectionAdmission"/>: readiness, origin, the authorization hook
/// with the request's services, so JWT works, and the connection limits) answers exactly as on the ASP.NET Core
/// path. What it skips is the application's own middleware for this path. Plain-text HTTP/1.1 endpoints only: on a
/// TLS endpoint the bytes are not readable here, so every request takes the usual path.
/// </remarks>
internal sealed partial class DirectUpgradeMiddleware(
    WebSocketEndpoint endpoint,
    WsRoomsEndpointPath path,
    IServiceScopeFactory scopes,
    IOptions<KestrelServerOptions> kestrel,
    ILogger<DirectUpgradeMiddleware> logger)
{
    private static ReadOnlySpan<byte> Get => "GET "u8;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var request = path.Value is { } wsPath ? await ReadUpgradeAsync(connection, wsPath).ConfigureAwait(false) : null;
        if (request is null)
        {
            if (!connection.ConnectionClosed.IsCancellationRequested)
            {
                await next(connection).ConfigureAwait(false);
            }

            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var upgrade = CreateContext(connection, request, scope.ServiceProvider);
        request = null; // this method lives as long as the socket: keep the context, not the request head
        await ServeAsync(connection, upgrade).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the first request's head, or as much of it as shows it is not an upgrade of <paramref name="wsPath"/>.
    /// Consumes it only when it is one; otherwise every byte stays in the pipe for Kestrel.
    /// </summary>
    private async Task<UpgradeRequest?> ReadUpgradeAsync(ConnectionContext connection, string wsPath)
    {
        var input = connection.Transport.Input;
        var limits = kestrel.Value.Limits;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        // Kestrel's own bounds: the first byte within the keep-alive timeout, the whole head within the headers timeout.
        timeout.CancelAfter(limits.KeepAliveTimeout);
        var started = false;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.HeadTimedOut(logger, connection.ConnectionId);
                connection.Abort(new ConnectionAbortedException("The request head did not arrive in time."));
                return null;
            }

            var buffer = result.Buffer;
            if (!started && buffer.Length > 0)
            {
                started = true;
                timeout.CancelAfter(limits.RequestHeadersTimeout);
            }

            // Not a GET (another method, TLS, HTTP/2): Kestrel's to answer, as soon as the first bytes show it.
            if (!StartsLikeGet(buffer))
            {
                input.AdvanceTo(buffer.Start, buffer.Start);
                return null;
            }

            if (UpgradeRequest.TryFindEnd(buffer, out var end))
            {
                if (UpgradeRequest.TryParse(buffer.Slice(0, end), wsPath, out var request))
                {
                    input.AdvanceTo(end);
                    return request;
                }

                input.AdvanceTo(buffer.Start, buffer.Start);
                return null;
            }

            if (result.IsCompleted || buffer.Length > UpgradeRequest.MaxHeadBytes)
            {
                // Too long for an upgrade, or the client went: Kestrel's to answer.
                input.AdvanceTo(buffer.Start, buffer.Start);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End); // a GET still arriving: wait for more
        }
    }

    private static bool StartsLikeGet(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[4];
        var length = (int)Math.Min(4, buffer.Length);
        buffer.Slice(0, length).CopyTo(first);
        return first[..length].SequenceEqual(Get[..length]);
    }

    private async Task ServeAsync(ConnectionContext connection, DirectUpgrade upgrade)
    {
        try
        {
            await endpoint.HandleAsync(upgrade.Context).ConfigureAwait(false);
        }
        catch (Exception e) when (!upgrade.WebSocket.Accepted)
        {
            Log.UpgradeFailed(logger, e, connection.ConnectionId);
            upgrade.Response.StatusCode = StatusCodes.Status500InternalServerError;
            upgrade.Body.SetLength(0);
        }

        if (!upgrade.WebSocket.Accepted)
        {
            // Refused before the upgrade (503, 403, 401...): the answer WebSocketEndpoint wrote, then the connection ends.
            await WriteResponseAsync(connection.Transport.Output, upgrade.Response, upgrade.Body).ConfigureAwait(false);
        }
    }

    /// <summary>One upgrade's <see cref="HttpContext"/>, made from the request head, and the parts this middleware reads back.</summary>
    private sealed record DirectUpgrade(HttpContext Context, DirectWebSocketFeature WebSocket, HttpResponseFeature Response, MemoryStream Body);

    private static DirectUpgrade CreateContext(ConnectionContext connection, UpgradeRequest request, IServiceProvider services)
    {
        var requestFeature = new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Scheme = "http",
            Method = HttpMethods.Get,
            Path = request.Path,
            QueryString = request.QueryString,
            RawTarget = request.Path + request.QueryString,
        };
        foreach (var (name, value) in request.Headers)
        {
            requestFeature.Headers.Append(name, value);
        }

        var response = new HttpResponseFeature();
        var body = new MemoryStream();
        var upgrade = new DirectWebSocketFeature(connection, request.Key, requestFeature);
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(requestFeature);
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address,
            RemotePort = (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0,
            LocalIpAddress = (connection.LocalEndPoint as IPEndPoint)?.Address,
            LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
        });
        features.Set<IHttpRequestLifetimeFeature>(new ConnectionLifetime(connection));
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = services });
        features.Set<IHttpWebSocketFeature>(upgrade);
        return new DirectUpgrade(new DefaultHttpContext(features), upgrade, response, body);
    }

    private static async Task WriteResponseAsync(PipeWriter output, HttpResponseFeature response, MemoryStream body)
    {
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(response.StatusCode).Append(' ').Append(ReasonPhrases.GetReasonPhrase(response.StatusCode)).Append("\r\n");
        foreach (var (name, values) in response.Headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var value in values)
            {
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        head.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
        await output.WriteAsync(Encoding.ASCII.GetBytes(head.ToString())).ConfigureAwait(false);
        await output.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length)).ConfigureAwait(false);
    }

    /// <summary>The request's lifetime is the connection's: <see cref="HttpContext.RequestAborted"/> and <see cref="HttpContext.Abort"/>.</summary>
    private sealed class ConnectionLifetime(ConnectionContext connection) : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted
        {
            get => connection.ConnectionClosed;
            set => throw new NotSupportedException();
        }

        public void Abort() => connection.Abort();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1500, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: no request head within Kestrel's timeouts; closed")]
        public static partial void HeadTimedOut(ILogger logger, string connectionId);

        [LoggerMessage(EventId = 1501, Level = LogLevel.Error, Message = "Connection {ConnectionId}: the WebSocket upgrade failed before it was accepted; answered 500")]
        public static partial void UpgradeFailed(ILogger logger, Exception exception, string connectionId);
    }
}
