using System.Buffers.Binary;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// The shape of a v2 frame: the five fields of v1, then meta, exactly the sum of its parts (docs/protocol.md).
/// The reader takes whole messages, so the analogue of "every input in one-byte pieces" is: every proper prefix of
/// a valid frame is refused as truncated, and nothing ever throws. A frame of one version read as the other is
/// refused.
/// </summary>
public sealed class V2FrameStructureTests
{
    private const ProtocolVersion V2 = ProtocolVersion.V2;

    private static readonly byte[] AnyMeta = [0x00, 0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x7F, 0x01];

    private static readonly Dictionary<string, byte[]> NamedValidFrames = new()
    {
        ["the protocol's example with a position"] = RawFrame.Hex(RawFrame.ExampleHex + " 00000008 0000000000000007"),
        ["the smallest accepted frame"] = RawFrame.BuildV2("r", "e", "", "", "", []),
        ["every field set, a message id"] = RawFrame.BuildV2("lobby", "chat", "dst-id", "src-id", "{\"a\":1}", RawFrame.Utf8("m-1")),
        ["non-ASCII names, a position"] = RawFrame.BuildV2("café", "部屋", "комната", "🎉", "ünïcödé", FramePosition.ToMeta(ulong.MaxValue)),
        ["meta that is not text"] = RawFrame.BuildV2("lobby", "chat", "", "", "hi", AnyMeta),
        ["every field at its limit"] = RawFrame.Build(
            new byte[128], new byte[64], new byte[64], new byte[64], Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), new byte[64]),
        ["a 64 KiB message"] = [.. RawFrame.OfSize(64 * 1024 - 4), .. RawFrame.MetaField([])],
    };

    public static TheoryData<string> ValidFrames => new(NamedValidFrames.Keys);

    public static TheoryData<int> EveryField => new() { 0, 1, 2, 3, 4, 5 };

    public static TheoryData<int, uint> EveryFieldWithHugeLengths => RawFrame.EveryFieldWithHugeLengths(6);

    private static byte[] Frame(byte[] meta) => RawFrame.BuildV2("lobby", "chat", "dst-id", "src-id", "hi", meta);

    [Fact]
    public void TwentyFourZeroBytesIsTheSmallestFrameAndHasAnEmptyRoom()
    {
        Assert.Equal(24, FrameLimits.V2HeaderBytes);
        Assert.Equal(FrameError.EmptyRoom, FrameReader.TryRead(new byte[24], FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void TheSmallestAcceptedFrameIsTwentySixBytes()
    {
        var frame = RawFrame.BuildV2("r", "e", "", "", "", []);

        Assert.Equal(26, frame.Length);
        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void AnyRunOfZeroBytesShorterThanTwentyFourIsTruncated()
    {
        for (var length = 0; length < FrameLimits.V2HeaderBytes; length++)
        {
            Assert.Equal(FrameError.Truncated, FrameReader.TryRead(new byte[length], FrameLimits.Default, V2, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void EveryValidFrameIsAccepted(string name)
    {
        var frame = NamedValidFrames[name];

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, V2, out var view));
        Assert.Equal(frame.Length, FrameLimits.V2HeaderBytes + view.Room.Length + view.Event.Length + view.Dst.Length + view.Src.Length + view.Payload.Length + view.Meta.Length);
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void EveryProperPrefixOfAValidFrameIsTruncated(string name)
    {
        var frame = NamedValidFrames[name];

        for (var length = 0; length < frame.Length; length++)
        {
            var error = FrameReader.TryRead(frame.AsSpan(0, length), FrameLimits.Default, V2, out _);
            Assert.True(error == FrameError.Truncated, $"prefix of {length} of {frame.Length} bytes: {error}");
            Assert.Equal(FrameError.Truncated, Message.TryParse(frame.AsSpan(0, length), FrameLimits.Default, V2, out var message, out var meta));
            Assert.Null(message);
            Assert.Empty(meta);
        }
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void AValidV2FrameReadAsV1HasTrailingBytes(string name)
    {
        // Its meta field, at least a 4-byte length, is left over after the payload.
        var frame = NamedValidFrames[name];

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, out _));
        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, ProtocolVersion.V1, out _));
        Assert.Equal(FrameError.TrailingBytes, Message.TryParse(frame, FrameLimits.Default, out var message));
        Assert.Null(message);
    }

    [Theory]
    [InlineData("00000005 6c6f626279 00000004 63686174 00000000 00000000 00000002 6869")]
    [InlineData("00000001 72 00000001 65 00000000 00000000 00000000")]
    public void AV1FrameReadAsV2IsTruncated(string v1Hex)
    {
        // Five fields: the meta's length is missing.
        var frame = RawFrame.Hex(v1Hex);
        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out _));

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.Truncated, Message.TryParse(frame, FrameLimits.Default, V2, out var message, out _));
        Assert.Null(message);
    }

    [Fact]
    public void EveryRandomV1FrameIsRefusedAsV2AndTheSameFrameWithMetaAsV1()
    {
        var random = new Random(11);
        for (var i = 0; i < 1_000; i++)
        {
            var payload = new byte[random.Next(0, 200)];
            random.NextBytes(payload);
            var meta = new byte[random.Next(0, 65)];
            random.NextBytes(meta);
            var message = new Message($"room-{random.Next(100)}", "ev", random.Next(2) == 0 ? "" : "dst", "", payload);

            Assert.Equal(FrameError.Truncated, FrameReader.TryRead(message.ToBytes(), FrameLimits.Default, V2, out _));
            Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(message.ToBytes(V2, meta), FrameLimits.Default, out _));
        }
    }

    [Theory]
    [InlineData("00")]
    [InlineData("000000")]
    [InlineData("00000000")]
    [InlineData("00000005 68656c6c6f")]
    [InlineData("ffffffff")]
    public void BytesAfterTheMetaAreTrailingBytes(string extraHex)
    {
        byte[] frame = [.. Frame(RawFrame.Utf8("m-1")), .. RawFrame.Hex(extraHex)];

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void ASeventhFieldIsTrailingBytes()
    {
        var frame = RawFrame.Build(RawFrame.Utf8("lobby"), RawFrame.Utf8("chat"), [], [], RawFrame.Utf8("hi"), [], []);

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void TwoFramesInOneMessageAreTrailingBytes()
    {
        var one = Frame([]);

        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead([.. one, .. one], FrameLimits.Default, V2, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AMetaLengthCutShortIsTruncated(int prefixBytes)
    {
        // The payload ends, and only part of the meta's length follows.
        byte[] frame = [.. RawFrame.Example, .. new byte[prefixBytes]];

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public void ALengthOneBytePastTheEndIsTruncated(int field)
    {
        var frame = Frame(RawFrame.Utf8("m-1"));
        var offset = V2LengthOffsets(frame)[field];
        var bytesAfterPrefix = (uint)(frame.Length - offset - 4);

        var tooLong = WithV2Length(frame, field, bytesAfterPrefix + 1);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(tooLong, FrameLimits.Default, V2, out _));
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public void ALengthOneMoreThanTheFieldIsNeverAccepted(int field)
    {
        var frame = Frame(RawFrame.Utf8("m-1"));
        var length = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(V2LengthOffsets(frame)[field]));

        Assert.NotEqual(FrameError.None, FrameReader.TryRead(WithV2Length(frame, field, length + 1), FrameLimits.Default, V2, out _));
    }

    [Theory]
    [MemberData(nameof(EveryFieldWithHugeLengths))]
    public void AHugeLengthInAnyFieldIsTruncatedWithoutThrowing(int field, uint length)
    {
        var frame = WithV2Length(Frame(RawFrame.Utf8("m-1")), field, length);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.Truncated, Message.TryParse(frame, FrameLimits.Default, V2, out var message, out _));
        Assert.Null(message);
    }

    [Fact]
    public void AMetaLengthOverTheLimitThatRunsPastTheEndIsTruncatedNotTooLong()
    {
        // As for every field: only a meta that is really there can be over its limit.
        var frame = WithV2Length(Frame([]), 5, 65);

        Assert.Equal(FrameError.Truncated, FrameReader.TryRead(frame, FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void TheV1RulesHoldInV2()
    {
        Assert.Equal(FrameError.EmptyRoom, FrameReader.TryRead(RawFrame.BuildV2("", "chat", "", "", "hi", []), FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.EmptyEvent, FrameReader.TryRead(RawFrame.BuildV2("lobby", "", "", "", "hi", []), FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.InvalidUtf8, FrameReader.TryRead(
            RawFrame.Build(RawFrame.Utf8("lobby"), RawFrame.Utf8("chat"), [0xFF], [], [], []), FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(
            RawFrame.Build(new byte[129], RawFrame.Utf8("chat"), [], [], [], []), FrameLimits.Default, V2, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(
            [.. RawFrame.OfSize(64 * 1024 - 3), .. RawFrame.MetaField([])], FrameLimits.Default, V2, out _));
    }

    [Fact]
    public void MetaMayHoldAnyBytes()
    {
        // Meta is opaque like the payload: no UTF-8 rule.
        Assert.Equal(FrameError.None, FrameReader.TryRead(Frame(AnyMeta), FrameLimits.Default, V2, out var view));
        Assert.Equal(AnyMeta, view.Meta.ToArray());
    }

    [Fact]
    public void TheViewSlicesTheInputWithoutCopying()
    {
        var frame = Frame(RawFrame.Utf8("m-1"));

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, V2, out var view));

        ReadOnlySpan<byte> input = frame;
        Assert.True(input.Slice(4, 5) == view.Room);
        Assert.True(input.Slice(13, 4) == view.Event);
        Assert.True(input.Slice(21, 6) == view.Dst);
        Assert.True(input.Slice(31, 6) == view.Src);
        Assert.True(input.Slice(41, 2) == view.Payload);
        Assert.True(input.Slice(47, 3) == view.Meta);
    }

    [Fact]
    public void AV1ViewHasNoMeta()
    {
        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.Example, FrameLimits.Default, out var view));
        Assert.True(view.Meta.IsEmpty);
        Assert.True(new FrameView([1], [2], [], [], [3]).Meta.IsEmpty);
    }

    [Fact]
    public void ARefusedFrameLeavesAnEmptyView()
    {
        Assert.Equal(FrameError.TrailingBytes, FrameReader.TryRead([.. Frame(RawFrame.Utf8("m")), 0], FrameLimits.Default, V2, out var view));

        Assert.True(view.Room.IsEmpty);
        Assert.True(view.Payload.IsEmpty);
        Assert.True(view.Meta.IsEmpty);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void AnUndefinedVersionIsAnArgumentError(int version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameReader.TryRead(RawFrame.Example, FrameLimits.Default, (ProtocolVersion)version, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Message.FromText("lobby", "chat", "", "", "hi").ToBytes((ProtocolVersion)version, []));
    }

    [Fact]
    public void NullLimitsAreAnArgumentError()
    {
        Assert.Throws<ArgumentNullException>(() => FrameReader.TryRead(Frame([]), null!, V2, out _));
    }

    // Offsets of the six length prefixes of a well-formed v2 frame.
    private static int[] V2LengthOffsets(ReadOnlySpan<byte> frame)
    {
        var offsets = new int[6];
        var position = 0;
        for (var i = 0; i < 6; i++)
        {
            offsets[i] = position;
            position += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(frame[position..]);
        }

        return offsets;
    }

    private static byte[] WithV2Length(byte[] frame, int fieldIndex, uint length)
    {
        var copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(V2LengthOffsets(frame)[fieldIndex]), length);
        return copy;
    }
}
