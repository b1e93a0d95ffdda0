using System.Net.WebSockets;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// The meta rules of docs/protocol.md: from a client, empty or a message id of 1 to 64 bytes (the reader's
/// <see cref="FrameLimits.MaxMetaBytes"/>); from the server, empty or an 8-byte big-endian position
/// (<see cref="FramePosition"/>).
/// </summary>
public sealed class FrameMetaTests
{
    private const ProtocolVersion V2 = ProtocolVersion.V2;

    private static byte[] Bytes(int count) => Enumerable.Repeat((byte)'m', count).ToArray();

    private static byte[] Frame(byte[] meta) => RawFrame.BuildV2("lobby", "chat", "", "", "hi", meta);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(36)]
    [InlineData(63)]
    [InlineData(64)]
    public void AClientMetaOfUpTo64BytesIsAccepted(int length)
    {
        Assert.Equal(FrameError.None, FrameReader.TryRead(Frame(Bytes(length)), FrameLimits.Default, V2, out var view));
        Assert.Equal(length, view.Meta.Length);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(1000)]
    public void AClientMetaOver64BytesIsTooLong(int length)
    {
        Assert.Equal(FrameError.MetaTooLong, FrameReader.TryRead(Frame(Bytes(length)), FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.MetaTooLong, Message.TryParse(Frame(Bytes(length)), FrameLimits.Default, V2, out var message, out var meta));
        Assert.Null(message);
        Assert.Empty(meta);
    }

    [Fact]
    public void AMetaTooLongClosesWith1009LikeEveryFieldOverItsLimit()
    {
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, FrameError.MetaTooLong.ToCloseStatus());
        Assert.Equal("meta over the size limit", FrameError.MetaTooLong.ToReason());
    }

    [Fact]
    public void ACustomMetaLimitIsApplied()
    {
        var limits = new FrameLimits { MaxMetaBytes = 16 };

        Assert.Equal(FrameError.None, FrameReader.TryRead(Frame(Bytes(16)), limits, V2, out _));
        Assert.Equal(FrameError.MetaTooLong, FrameReader.TryRead(Frame(Bytes(29)), limits, V2, out _));
    }

    [Fact]
    public void AMetaLimitDoesNotTouchV1Frames()
    {
        // A v1 frame has no meta, so the smallest meta limit changes nothing about it.
        var limits = new FrameLimits { MaxMetaBytes = FramePosition.Length };

        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.Example, limits, out _));
    }

    [Fact]
    public void TheMetaLimitIsCheckedAfterTheFieldsBeforeIt()
    {
        // Field by field, as in v1: a room over its limit is reported before a meta over its limit.
        var frame = RawFrame.Build(new byte[129], RawFrame.Utf8("chat"), [], [], [], Bytes(65));

        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void TheMessageLimitCountsTheMeta()
    {
        var limits = new FrameLimits { MaxMessageBytes = 64 };

        Assert.Equal(64, Frame(Bytes(29)).Length);
        Assert.Equal(FrameError.None, FrameReader.TryRead(Frame(Bytes(29)), limits, V2, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(Frame(Bytes(30)), limits, V2, out _));
    }

    [Fact]
    public void APositionIsEightBigEndianBytes()
    {
        Assert.Equal(8, FramePosition.Length);
        Assert.Equal(RawFrame.Hex("0102030405060708"), FramePosition.ToMeta(0x0102030405060708));
        Assert.Equal(RawFrame.Hex("0000000000000000"), FramePosition.ToMeta(0));
        Assert.Equal(RawFrame.Hex("ffffffffffffffff"), FramePosition.ToMeta(ulong.MaxValue));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(255UL)]
    [InlineData(256UL)]
    [InlineData(0x7FFFFFFFFFFFFFFFUL)]
    [InlineData(0x8000000000000000UL)]
    [InlineData(ulong.MaxValue)]
    public void APositionRoundTrips(ulong position)
    {
        Span<byte> meta = stackalloc byte[FramePosition.Length];

        Assert.Equal(FramePosition.Length, FramePosition.Write(meta, position));
        Assert.True(FramePosition.TryRead(meta, out var read));
        Assert.Equal(position, read);
        Assert.Equal(meta.ToArray(), FramePosition.ToMeta(position));
    }

    [Fact]
    public void WritingAPositionTouchesOnlyItsEightBytes()
    {
        var buffer = Enumerable.Repeat((byte)0xAA, 12).ToArray();

        FramePosition.Write(buffer.AsSpan(2), 1);

        Assert.Equal(RawFrame.Hex("aaaa 0000000000000001 aaaa"), buffer);
    }

    [Fact]
    public void WritingAPositionIntoLessThanEightBytesThrows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FramePosition.Write(new byte[7], 1));
    }

    [Fact]
    public void AnEmptyServerMetaIsValidAndHasNoPosition()
    {
        Assert.True(FramePosition.TryRead([], out var position));
        Assert.Null(position);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(64)]
    public void AServerMetaOfAnyOtherLengthIsRefused(int length)
    {
        Assert.False(FramePosition.TryRead(new byte[length], out var position));
        Assert.Null(position);
    }

    [Fact]
    public void AServerFrameWithAPositionReadsWithTheDefaultLimits()
    {
        // What a client does with a room frame: read it as v2, then its meta as a position.
        var frame = Message.FromText("lobby", "chat", "", "0f8fad5b-d9cb-469f-a165-70867728950e", "hi").ToBytes(V2, FramePosition.ToMeta(42));

        Assert.Equal(FrameError.None, Message.TryParse(frame, FrameLimits.Default, V2, out var message, out var meta));
        Assert.Equal("hi", message!.PayloadText);
        Assert.True(FramePosition.TryRead(meta, out var position));
        Assert.Equal(42UL, position);
    }

    [Fact]
    public void TheSmallestValidMetaLimitStillReadsEveryServerFrame()
    {
        var limits = new FrameLimits { MaxMetaBytes = FramePosition.Length };
        limits.Validate();

        Assert.Equal(FrameError.None, FrameReader.TryRead(Frame(FramePosition.ToMeta(ulong.MaxValue)), limits, V2, out var view));
        Assert.True(FramePosition.TryRead(view.Meta, out var position));
        Assert.Equal(ulong.MaxValue, position);
    }
}
