using System.Buffers;
using System.Text;
using WsRooms.Edge.Transport;

namespace WsRooms.Edge.Tests;

/// <summary>
/// What <c>WsRooms:DirectUpgrade</c> takes from a connection as a WebSocket upgrade it serves itself: exactly a
/// well-formed one on the WsRooms path. Everything else is left to Kestrel's own parser.
/// </summary>
public sealed class UpgradeRequestTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static string Head(string requestLine = "GET /ws?access_token=t HTTP/1.1", params string[] extra)
    {
        var lines = new List<string> { requestLine, "Host: 127.0.0.1:5000", "Upgrade: websocket", "Connection: keep-alive, Upgrade", "Sec-WebSocket-Version: 13", $"Sec-WebSocket-Key: {Key}" };
        foreach (var e in extra)
        {
            var name = e.Split(':')[0];
            lines.RemoveAll(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase) && !e.StartsWith("+", StringComparison.Ordinal));
            if (!e.EndsWith(":-", StringComparison.Ordinal))
            {
                lines.Add(e.TrimStart('+'));
            }
        }

        return string.Join("\r\n", lines) + "\r\n\r\n";
    }

    private static bool Parse(string head, out UpgradeRequest? request, string path = "/ws")
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head));
        Assert.True(UpgradeRequest.TryFindEnd(bytes, out var end));
        return UpgradeRequest.TryParse(bytes.Slice(0, end), path, out request);
    }

    [Fact]
    public void AWellFormedUpgradeIsTakenWithItsQueryHeadersAndKey()
    {
        Assert.True(Parse(Head(extra: "Origin: http://127.0.0.1:5000"), out var request));
        Assert.Equal(("/ws", "?access_token=t", Key), (request!.Path, request.QueryString, request.Key));
        Assert.Contains(request.Headers, h => h.Key == "Origin" && h.Value == "http://127.0.0.1:5000");
        Assert.True(Parse(Head("GET /WS HTTP/1.1"), out _)); // paths match as ASP.NET Core routing does: case-insensitively
    }

    [Theory]
    [InlineData("POST /ws HTTP/1.1")]
    [InlineData("GET /ws HTTP/1.0")]
    [InlineData("GET /other HTTP/1.1")]
    [InlineData("GET /ws/more HTTP/1.1")]
    [InlineData("GET /w%73 HTTP/1.1")]
    [InlineData("GET http://host/ws HTTP/1.1")]
    [InlineData("GET  /ws HTTP/1.1")]
    public void AnotherMethodVersionOrTargetIsLeftToKestrel(string requestLine) =>
        Assert.False(Parse(Head(requestLine), out _));

    [Theory]
    [InlineData("Upgrade: h2c")]
    [InlineData("Connection: keep-alive")]
    [InlineData("Sec-WebSocket-Version: 8")]
    [InlineData("Sec-WebSocket-Key: short")]
    [InlineData("Sec-WebSocket-Key:-")]
    [InlineData("Host:-")]
    [InlineData("+Host: twice")]
    [InlineData("+Content-Length: 5")]
    [InlineData("+Transfer-Encoding: chunked")]
    [InlineData("+ Folded: continuation")]
    [InlineData("+Bad Name : x")]
    public void AHeadThatIsNotACleanUpgradeIsLeftToKestrel(string change) =>
        Assert.False(Parse(Head(extra: change), out _));

    [Fact]
    public void NonAsciiAndOverlongHeadsAreLeftToKestrel()
    {
        Assert.False(Parse(Head(extra: "X-Name: caf\u00e9"), out _));
        Assert.False(Parse(Head(extra: "X-Big: " + new string('a', UpgradeRequest.MaxHeadBytes)), out _));
    }

    [Fact]
    public void AnUnfinishedHeadIsNotFound() =>
        Assert.False(UpgradeRequest.TryFindEnd(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("GET /ws HTTP/1.1\r\nHost: x\r\n")), out _));

    [Fact]
    public void TheAcceptValueIsRfc6455s() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", DirectWebSocketFeature.AcceptValue(Key)); // RFC 6455, section 1.3
}
