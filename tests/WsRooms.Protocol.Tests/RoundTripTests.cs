using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace WsRooms.Protocol.Tests;

/// <summary>What the writer encodes, the reader decodes to the same message, byte for byte.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string, string, string, string> Names => new()
    {
        { "lobby", "chat", "", "" },
        { "café", "naïve", "dst-é", "src-ü" },
        { "комната", "сообщение", "", "" },
        { "部屋", "話す", "宛先", "送信者" },
        { "🎉🏠", "👋", "🦀", "👩‍👩‍👧" },
        { "root", "join_ack", "", "0f8fad5b-d9cb-469f-a165-70867728950e" },
        { "a\u0000b", "tab\tnew\nline", " ", "\u007f" },
    };

    private static readonly byte[] AllByteValues = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    private static Message RoundTrip(Message message)
    {
        var bytes = message.ToBytes();
        Assert.Equal(FrameError.None, Message.TryParse(bytes, FrameLimits.Default, out var parsed));
        Assert.NotNull(parsed);
        return parsed;
    }

    private static void AssertSameMessage(Message expected, Message actual)
    {
        // Message is a record, but its byte[] payload compares by reference, so compare field by field.
        Assert.Equal(expected.Room, actual.Room);
        Assert.Equal(expected.Event, actual.Event);
        Assert.Equal(expected.Dst, actual.Dst);
        Assert.Equal(expected.Src, actual.Src);
        Assert.Equal(expected.Payload, actual.Payload);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Utf8NamesRoundTrip(string room, string @event, string dst, string src)
    {
        var message = Message.FromText(room, @event, dst, src, "{\"text\":\"héllo\"}");

        AssertSameMessage(message, RoundTrip(message));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EachLengthPrefixIsTheUtf8ByteCountNotTheUtf16Length(string room, string @event, string dst, string src)
    {
        var bytes = Message.FromText(room, @event, dst, src, "ü").ToBytes();
        var offsets = RawFrame.LengthOffsets(bytes);
        string[] fields = [room, @event, dst, src, "ü"];

        for (var i = 0; i < 5; i++)
        {
            var expected = Encoding.UTF8.GetBytes(fields[i]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offsets[i]));
            Assert.Equal((uint)expected.Length, length);
            Assert.Equal(expected, bytes.AsSpan(offsets[i] + 4, expected.Length).ToArray());
        }
    }

    [Fact]
    public void NonAsciiNamesAreEncodedAsTheProtocolSpellsThem()
    {
        var bytes = Message.FromText("café", "部屋", "", "🎉", "").ToBytes();

        Assert.Equal(RawFrame.Hex("00000005 636166c3a9 00000006 e983a8e5b18b 00000000 00000004 f09f8e89 00000000"), bytes);
    }

    [Fact]
    public void APayloadOfEveryByteValueRoundTrips()
    {
        var message = new Message("lobby", "blob", "", "", AllByteValues);

        var parsed = RoundTrip(message);

        Assert.Equal(AllByteValues, parsed.Payload);
        Assert.Equal(message.ToBytes(), parsed.ToBytes());
    }

    [Fact]
    public void AnEmptyPayloadRoundTrips()
    {
        var message = new Message("lobby", "ping", "", "", []);

        var parsed = RoundTrip(message);

        Assert.Empty(parsed.Payload);
        Assert.Equal(RawFrame.Hex("00000005 6c6f626279 00000004 70696e67 00000000 00000000 00000000"), message.ToBytes());
    }

    [Fact]
    public void AMessageAtEveryLimitRoundTrips()
    {
        var room = new string('r', 128);
        var @event = new string('e', 64);
        var id = new string('i', 64);
        var payload = new byte[64 * 1024 - FrameWriter.GetFrameLength(room, @event, id, id, 0)];
        new Random(42).NextBytes(payload);
        var message = new Message(room, @event, id, id, payload);

        Assert.Equal(64 * 1024, message.GetFrameLength());
        AssertSameMessage(message, RoundTrip(message));
    }

    [Fact]
    public void ParsedPayloadIsACopyNotASliceOfTheInput()
    {
        // The message crosses grains as [Immutable]; it must not change when the receive buffer is reused.
        var frame = RawFrame.Example;
        Assert.Equal(FrameError.None, Message.TryParse(frame, FrameLimits.Default, out var message));

        Array.Clear(frame);

        Assert.Equal("hi"u8.ToArray(), message!.Payload);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GetFrameLengthEqualsTheEncodedLengthEveryWay(string room, string @event, string dst, string src)
    {
        foreach (var payload in new[] { [], "x"u8.ToArray(), AllByteValues })
        {
            var message = new Message(room, @event, dst, src, payload);
            var expected = message.GetFrameLength();
            Assert.Equal(FrameWriter.GetFrameLength(room, @event, dst, src, payload.Length), expected);

            var array = message.ToBytes();
            Assert.Equal(expected, array.Length);

            var span = new byte[expected + 16];
            Assert.Equal(expected, FrameWriter.Write(span, room, @event, dst, src, payload));
            Assert.Equal(array, span[..expected]);

            var writer = new ArrayBufferWriter<byte>();
            message.WriteTo(writer);
            Assert.Equal(expected, writer.WrittenCount);
            Assert.Equal(array, writer.WrittenSpan.ToArray());
        }
    }

    [Fact]
    public void FromTextEncodesThePayloadAsUtf8AndPayloadTextReadsItBack()
    {
        var message = Message.FromText("lobby", "chat", "", "", "héllo 🎉");

        Assert.Equal(Encoding.UTF8.GetBytes("héllo 🎉"), message.Payload);
        Assert.Equal("héllo 🎉", message.PayloadText);
    }
}
