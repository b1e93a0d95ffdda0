using System.Buffers;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// What the writer encodes as v2, the reader decodes to the same message and meta, byte for byte; a v2 frame is
/// its v1 frame followed by the meta field; and the calls without a version still write v1.
/// </summary>
public sealed class V2RoundTripTests
{
    private const ProtocolVersion V2 = ProtocolVersion.V2;

    private static readonly byte[] AllByteValues = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    public static TheoryData<string, string, string, string> Names => new()
    {
        { "lobby", "chat", "", "" },
        { "café", "naïve", "dst-é", "src-ü" },
        { "部屋", "話す", "宛先", "送信者" },
        { "🎉🏠", "👋", "🦀", "👩‍👩‍👧" },
        { "root", "join_ack", "", "0f8fad5b-d9cb-469f-a165-70867728950e" },
    };

    public static TheoryData<byte[]> Metas => new()
    {
        Array.Empty<byte>(),
        FramePosition.ToMeta(1),
        FramePosition.ToMeta(ulong.MaxValue),
        RawFrame.Utf8("m"),
        RawFrame.Utf8("0f8fad5b-d9cb-469f-a165-70867728950e"),
        Enumerable.Range(0, 64).Select(i => (byte)(255 - i)).ToArray(),
    };

    [Theory]
    [MemberData(nameof(Metas))]
    public void AMessageAndItsMetaRoundTrip(byte[] meta)
    {
        var message = new Message("lobby", "blob", "dst-id", "src-id", AllByteValues);

        var bytes = message.ToBytes(V2, meta);

        Assert.Equal(FrameError.None, Message.TryParse(bytes, FrameLimits.Default, V2, out var parsed, out var parsedMeta));
        RawFrame.AssertSameFields(message, parsed);
        Assert.Equal(meta, parsedMeta);
        Assert.Equal(bytes, parsed.ToBytes(V2, parsedMeta));
    }

    [Fact]
    public void TheExampleWithAPositionIsEncodedAsTheProtocolSpellsIt()
    {
        var bytes = Message.FromText("lobby", "chat", "", "", "hi").ToBytes(V2, FramePosition.ToMeta(7));

        Assert.Equal(RawFrame.Hex(RawFrame.ExampleHex + " 00000008 0000000000000007"), bytes);
    }

    [Fact]
    public void AnEmptyMetaIsAZeroLength()
    {
        var bytes = Message.FromText("lobby", "chat", "", "", "hi").ToBytes(V2, []);

        Assert.Equal(RawFrame.Hex(RawFrame.ExampleHex + " 00000000"), bytes);
    }

    [Theory]
    [MemberData(nameof(Metas))]
    public void AV2FrameIsItsV1FrameFollowedByTheMetaField(byte[] meta)
    {
        var message = Message.FromText("café", "部屋", "", "🎉", "payload");
        var v1 = message.ToBytes();

        var v2 = message.ToBytes(V2, meta);

        Assert.Equal([.. v1, .. RawFrame.MetaField(meta)], v2);
        Assert.Equal(FrameWriter.GetMetaFieldLength(meta.Length), v2.Length - v1.Length);

        // What the edge can do: one shared v1 encoding, the meta field written after it per recipient.
        var built = new byte[v2.Length];
        v1.CopyTo(built, 0);
        Assert.Equal(4 + meta.Length, FrameWriter.WriteMetaField(built.AsSpan(v1.Length), meta));
        Assert.Equal(v2, built);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GetFrameLengthEqualsTheEncodedLengthEveryWay(string room, string @event, string dst, string src)
    {
        foreach (var meta in new[] { [], FramePosition.ToMeta(3), RawFrame.Utf8("mid-1") })
        {
            var message = new Message(room, @event, dst, src, AllByteValues);
            var expected = message.GetFrameLength(V2, meta.Length);
            Assert.Equal(message.GetFrameLength() + 4 + meta.Length, expected);
            Assert.Equal(FrameWriter.GetFrameLength(room, @event, dst, src, AllByteValues.Length, V2, meta.Length), expected);

            var array = message.ToBytes(V2, meta);
            Assert.Equal(expected, array.Length);
            Assert.Equal(array, FrameWriter.ToArray(room, @event, dst, src, AllByteValues, V2, meta));

            var span = new byte[expected + 16];
            Assert.Equal(expected, FrameWriter.Write(span, room, @event, dst, src, AllByteValues, V2, meta));
            Assert.Equal(array, span[..expected]);

            var writer = new ArrayBufferWriter<byte>();
            message.WriteTo(writer, V2, meta);
            Assert.Equal(array, writer.WrittenSpan.ToArray());

            var pieces = new ArrayBufferWriter<byte>();
            FrameWriter.Write(pieces, room, @event, dst, src, AllByteValues, V2, meta);
            Assert.Equal(array, pieces.WrittenSpan.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TheCallsWithoutAVersionWriteV1(string room, string @event, string dst, string src)
    {
        var message = new Message(room, @event, dst, src, AllByteValues);
        var v1 = message.ToBytes();

        Assert.Equal(v1, message.ToBytes(ProtocolVersion.V1, []));
        Assert.Equal(message.GetFrameLength(), message.GetFrameLength(ProtocolVersion.V1, 0));
        Assert.Equal(v1, FrameWriter.ToArray(room, @event, dst, src, AllByteValues, ProtocolVersion.V1, []));

        var writer = new ArrayBufferWriter<byte>();
        message.WriteTo(writer, ProtocolVersion.V1, []);
        Assert.Equal(v1, writer.WrittenSpan.ToArray());

        Assert.Equal(FrameError.None, Message.TryParse(v1, FrameLimits.Default, ProtocolVersion.V1, out var parsed, out var meta));
        Assert.Empty(meta);
        Assert.Equal(v1, parsed!.ToBytes());
    }

    [Fact]
    public void AV1FrameCannotCarryAMeta()
    {
        var message = Message.FromText("lobby", "chat", "", "", "hi");
        var meta = FramePosition.ToMeta(1);

        Assert.Throws<ArgumentException>(() => message.ToBytes(ProtocolVersion.V1, meta));
        Assert.Throws<ArgumentException>(() => message.GetFrameLength(ProtocolVersion.V1, meta.Length));
        Assert.Throws<ArgumentException>(() => message.WriteTo(new ArrayBufferWriter<byte>(), ProtocolVersion.V1, meta));
        Assert.Throws<ArgumentException>(() => FrameWriter.Write(new byte[100], "lobby", "chat", "", "", "hi"u8, ProtocolVersion.V1, meta));
    }

    [Fact]
    public void AMessageAtEveryLimitRoundTrips()
    {
        var room = new string('r', 128);
        var @event = new string('e', 64);
        var id = new string('i', 64);
        var meta = new byte[64];
        var payload = new byte[(64 * 1024) - FrameWriter.GetFrameLength(room, @event, id, id, 0, V2, meta.Length)];
        new Random(42).NextBytes(payload);
        new Random(43).NextBytes(meta);
        var message = new Message(room, @event, id, id, payload);

        Assert.Equal(64 * 1024, message.GetFrameLength(V2, meta.Length));
        Assert.Equal(FrameError.None, Message.TryParse(message.ToBytes(V2, meta), FrameLimits.Default, V2, out var parsed, out var parsedMeta));
        Assert.Equal(payload, parsed!.Payload);
        Assert.Equal(meta, parsedMeta);
    }

    [Fact]
    public void TheParsedMetaIsACopyNotASliceOfTheInput()
    {
        var frame = RawFrame.BuildV2("lobby", "chat", "", "", "hi", RawFrame.Utf8("mid"));
        Assert.Equal(FrameError.None, Message.TryParse(frame, FrameLimits.Default, V2, out _, out var meta));

        Array.Clear(frame);

        Assert.Equal("mid"u8.ToArray(), meta);
    }
}
