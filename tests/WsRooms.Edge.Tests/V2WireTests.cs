using WsRooms.Edge.Connections;
using WsRooms.Edge.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Edge.Tests;

/// <summary>The edge's pure v2 rules: which subprotocol selects v2, what a mid may be, how a frame is encoded per socket.</summary>
public sealed class V2WireTests
{
    [Theory]
    [InlineData(new[] { "wsrooms.v2" }, ProtocolVersion.V2)]
    [InlineData(new[] { "chat", " wsrooms.v2" }, ProtocolVersion.V2)]
    [InlineData(new[] { "WSROOMS.V2" }, ProtocolVersion.V1)]
    [InlineData(new[] { "wsrooms.v1", "wsrooms.v3" }, ProtocolVersion.V1)]
    [InlineData(new string[0], ProtocolVersion.V1)]
    public void OnlyTheExactV2SubprotocolSelectsV2(string[] offered, ProtocolVersion expected)
    {
        Assert.Equal(expected, ProtocolNegotiation.Select(offered));
        Assert.Equal(expected == ProtocolVersion.V2 ? "wsrooms.v2" : null, ProtocolNegotiation.SubProtocolOf(expected));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("true", false)]
    public void OnlyResumeOneAsksForAResumeSocket(string? value, bool expected) =>
        Assert.Equal(expected, ProtocolNegotiation.IsResume(value));

    [Fact]
    public void AMidIsOneToSixtyFourBytesOfUtf8()
    {
        Assert.Equal(FrameError.None, MessageIds.Check("m-1"u8));
        Assert.Equal(FrameError.None, MessageIds.Check(new byte[64].AsSpan()));
        Assert.Equal(FrameError.MetaTooLong, MessageIds.Check(new byte[65].AsSpan()));
        Assert.Equal(FrameError.InvalidUtf8, MessageIds.Check([0xC3, 0x28]));
        Assert.Equal(CloseCodes.MessageTooBig, FrameError.MetaTooLong.ToCloseStatus());
        Assert.Equal(CloseCodes.InvalidUtf8, FrameError.InvalidUtf8.ToCloseStatus());
    }

    [Fact]
    public void AV1SocketGetsTheV1FrameByteForByte()
    {
        var message = Message.FromText("lobby", "chat", "", "src", "hi");
        Assert.Equal(message.ToBytes(), WireEncoding.Encode(message, v2: false, position: 7));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7L)]
    [InlineData(long.MaxValue)]
    public void AV2SocketGetsTheV1FrameThenMetaWithThePosition(long position)
    {
        var message = Message.FromText("lobby", "chat", "", "src", "hi");
        var expectedMeta = position > 0 ? FramePosition.ToMeta((ulong)position) : [];

        var encoded = WireEncoding.Encode(message, v2: true, position);

        Assert.Equal(message.ToBytes(ProtocolVersion.V2, expectedMeta), encoded);
        Assert.Equal(encoded, WireEncoding.AppendMeta(message.ToBytes(), position));
        Assert.Equal(FrameError.None, Message.TryParse(encoded, FrameLimits.Default, ProtocolVersion.V2, out var parsed, out var meta));
        Assert.Equal(message.PayloadText, parsed!.PayloadText);
        Assert.True(FramePosition.TryRead(meta, out var seq));
        Assert.Equal(position > 0 ? (ulong)position : null, seq);
    }

    [Fact]
    public void ARoomFrameEncodesEachVersionOnceAndOnlyWhenAsked()
    {
        var message = Message.FromText("lobby", "chat", "", "src", "hi");
        var frame = new RoomFrame(message, 42);

        var v2 = frame.For(v2: true);
        Assert.True(v2.Span.SequenceEqual(WireEncoding.Encode(message, true, 42)));
        Assert.True(frame.For(v2: true).Equals(v2)); // the same array for every v2 member
        var v1 = frame.For(v2: false);
        Assert.True(v1.Span.SequenceEqual(message.ToBytes()));
        Assert.True(frame.For(v2: false).Equals(v1));
    }

    [Fact]
    public void AnEncodedV1FrameReachesV2SocketsWithAnEmptyMeta()
    {
        var v1 = Message.FromText("lobby", "chat", "", "src", "hi").ToBytes();
        var frame = new RoomFrame(v1);

        Assert.True(frame.For(v2: false).Span.SequenceEqual(v1));
        Assert.True(frame.For(v2: true).Span.SequenceEqual(WireEncoding.AppendMeta(v1, 0)));
    }
}
