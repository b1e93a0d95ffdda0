using System.Buffers.Binary;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// The shape of a frame: five length-prefixed fields, exactly the sum of its parts (docs/protocol.md).
/// The reader takes whole messages, so the analogue of "every input in one-byte pieces" is: every proper
/// prefix of a valid frame is refused as truncated, and nothing ever throws.
/// </summary>
public sealed class FrameStructureTests
{
    private static readonly Dictionary<string, byte[]> NamedValidFrames = new()
    {
        ["the protocol's example"] = RawFrame.Example,
        ["the smallest accepted frame"] = RawFrame.Build("r", "e", "", "", ""),
        ["every field set"] = RawFrame.Build("lobby", "chat", "dst-id", "src-id", "{\"a\":1}"),
        ["non-ASCII names"] = RawFrame.Build("café", "部屋", "комната", "🎉", "ünïcödé payload"),
        ["every field at its limit"] = RawFrame.Build(
            new byte[128], new byte[64], new byte[64], new byte[64], Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()),
        ["a 64 KiB message"] = RawFrame.OfSize(64 * 1024),
    };

    public static TheoryData<string> ValidFrames => new(NamedValidFrames.Keys);

    public static TheoryData<int, uint> EveryFieldWithHugeLengths => RawFrame.EveryFieldWithHugeLengths(5);

    public static TheoryData<int> EveryField => new() { 0, 1, 2, 3, 4 };

    [Fact]
    public void TwentyZeroBytesIsTheSmallestFrameAndHasAnEmptyRoom()
    {
        Assert.Equal(20, FrameLimits.HeaderBytes);
        Assert.Equal(FrameError.EmptyRoom, FrameReader.TryRead(new byte[20], FrameLimits.Default, out _));
    }

    [Fact]
    public void TheSmallestAcceptedFrameIsTwentyTwoBytes()
    {
        var frame = RawFrame.Build("r", "e", "", "", "");

        Assert.Equal(22, frame.Length);
        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AHeaderShorterThanOneLengthIsTruncated(int length)
    {
        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(new byte[length], FrameLimits.Default, out _));
    }

    [Fact]
    public void AnyRunOfZeroBytesShorterThanTwentyIsTruncated()
    {
        for (var length = 0; length < FrameLimits.HeaderBytes; length++)
        {
            Assert.Equal(FrameError.Truncated, FrameReader.TryRead(new byte[length], FrameLimits.Default, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void EveryProperPrefixOfAValidFrameIsTruncated(string name)
    {
        var frame = NamedValidFrames[name];
        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out _));

        for (var length = 0; length < frame.Length; length++)
        {
            var error = FrameReader.TryRead(frame.AsSpan(0, length), FrameLimits.Default, out _);
            Assert.True(error == FrameError.Truncated, $"prefix of {length} of {frame.Length} bytes: {error}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void EveryProperPrefixOfAValidFrameFailsToParseAsAMessage(string name)
    {
        var frame = NamedValidFrames[name];

        for (var length = 0; length < frame.Length; length++)
        {
            Assert.Equal(FrameError.Truncated, Message.TryParse(frame.AsSpan(0, length), FrameLimits.Default, out var message));
            Assert.Null(message);
        }
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public void ALengthOneBytePastTheEndIsTruncated(int field)
    {
        var frame = RawFrame.Build("lobby", "chat", "dst-id", "src-id", "hi");
        var offset = RawFrame.LengthOffsets(frame)[field];
        var bytesAfterPrefix = (uint)(frame.Length - offset - 4);

        var tooLong = RawFrame.WithLength(frame, field, bytesAfterPrefix + 1);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(tooLong, FrameLimits.Default, out _));
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public void ALengthOneMoreThanTheFieldIsTruncatedOrLeavesTheFrameShort(int field)
    {
        // Growing one field's length by one steals a byte from the fields after it, so the last length
        // runs past the end. Whatever happens in between, it must never be accepted and never throw.
        var frame = RawFrame.Build("lobby", "chat", "dst-id", "src-id", "hi");
        var length = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(RawFrame.LengthOffsets(frame)[field]));

        var error = FrameReader.TryRead(RawFrame.WithLength(frame, field, length + 1), FrameLimits.Default, out _);

        Assert.NotEqual(FrameError.None, error);
    }

    [Theory]
    [MemberData(nameof(EveryFieldWithHugeLengths))]
    public void AHugeLengthInAnyFieldIsTruncatedWithoutThrowing(int field, uint length)
    {
        var frame = RawFrame.WithLength(RawFrame.Build("lobby", "chat", "dst-id", "src-id", "hi"), field, length);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, out _));
        Assert.Equal(FrameError.Truncated, Message.TryParse(frame, FrameLimits.Default, out var message));
        Assert.Null(message);
    }

    [Fact]
    public void ARoomLengthOverTheLimitThatRunsPastTheEndIsTruncatedNotTooLong()
    {
        // Only a field that is really there can be over its limit; a length that runs past the end is malformed.
        var frame = RawFrame.WithLength(RawFrame.Example, 0, 129);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Theory]
    [InlineData("00")]
    [InlineData("00000000")]
    [InlineData("00000005")]
    [InlineData("0000000568656c6c6f")]
    [InlineData("ffffffff")]
    public void BytesAfterThePayloadAreTrailingBytes(string extraHex)
    {
        byte[] frame = [.. RawFrame.Example, .. RawFrame.Hex(extraHex)];

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Fact]
    public void TwoFramesInOneMessageAreTrailingBytes()
    {
        byte[] frame = [.. RawFrame.Example, .. RawFrame.Example];

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Fact]
    public void ASixthFieldIsTrailingBytes()
    {
        var frame = RawFrame.Build(RawFrame.Utf8("lobby"), RawFrame.Utf8("chat"), [], [], RawFrame.Utf8("hi"), []);

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Fact]
    public void AnEmptyRoomIsRefused()
    {
        var frame = RawFrame.Build("", "chat", "", "", "hi");

        Assert.Equal(FrameError.EmptyRoom, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Fact]
    public void AnEmptyEventIsRefused()
    {
        var frame = RawFrame.Build("lobby", "", "", "", "hi");

        Assert.Equal(FrameError.EmptyEvent, FrameReader.TryRead(frame, FrameLimits.Default, out _));
    }

    [Fact]
    public void EmptyDstSrcAndPayloadAreAllowed()
    {
        var frame = RawFrame.Build("lobby", "chat", "", "", "");

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out var view));
        Assert.True(view.Dst.IsEmpty);
        Assert.True(view.Src.IsEmpty);
        Assert.True(view.Payload.IsEmpty);
    }

    [Fact]
    public void TheViewSlicesTheInputWithoutCopying()
    {
        var frame = RawFrame.Build("lobby", "chat", "dst-id", "src-id", "hi");

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out var view));

        ReadOnlySpan<byte> input = frame;
        Assert.True(input.Slice(4, 5) == view.Room);
        Assert.True(input.Slice(13, 4) == view.Event);
        Assert.True(input.Slice(21, 6) == view.Dst);
        Assert.True(input.Slice(31, 6) == view.Src);
        Assert.True(input.Slice(41, 2) == view.Payload);
    }

    [Fact]
    public void ARefusedFrameLeavesAnEmptyView()
    {
        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead([.. RawFrame.Example, 0], FrameLimits.Default, out var view));

        Assert.True(view.Room.IsEmpty);
        Assert.True(view.Event.IsEmpty);
        Assert.True(view.Payload.IsEmpty);
    }

    [Fact]
    public void NullLimitsAreAnArgumentError()
    {
        Assert.Throws<ArgumentNullException>(() => FrameReader.TryRead(RawFrame.Example, null!, out _));
    }
}
