namespace WsRooms.Protocol.Tests;

/// <summary>room, event, dst and src must be valid UTF-8 (close 1007); the payload is opaque bytes.</summary>
public sealed class Utf8Tests
{
    /// <summary>Byte sequences that are not UTF-8, each with why.</summary>
    private static readonly (string Hex, string Why)[] Invalid =
    [
        ("C0AF", "overlong '/' in two bytes"),
        ("C180", "overlong U+0040 in two bytes"),
        ("E080AF", "overlong '/' in three bytes"),
        ("F08080AF", "overlong '/' in four bytes"),
        ("C080", "overlong NUL"),
        ("EDA080", "lone high surrogate U+D800"),
        ("EDBFBF", "lone low surrogate U+DFFF"),
        ("EDA0BDEDB880", "surrogate pair encoded as two three-byte sequences (CESU-8)"),
        ("C3", "two-byte sequence cut after its lead byte"),
        ("E282", "three-byte sequence cut short"),
        ("F09F98", "four-byte sequence cut short"),
        ("FF", "0xFF is never UTF-8"),
        ("FE", "0xFE is never UTF-8"),
        ("80", "lone continuation byte"),
        ("BF", "lone continuation byte"),
        ("F4908080", "above U+10FFFF"),
        ("F8888080 80", "five-byte form"),
        ("C341", "lead byte followed by ASCII"),
    ];

    public static TheoryData<int, string> EveryStringFieldWithInvalidUtf8
    {
        get
        {
            var data = new TheoryData<int, string>();
            for (var index = 0; index < 4; index++)
            {
                foreach (var (hex, _) in Invalid)
                {
                    data.Add(index, hex);
                }
            }

            return data;
        }
    }

    public static TheoryData<string> InvalidUtf8 => new(Invalid.Select(i => i.Hex));

    public static TheoryData<string> ValidEdgeCases => new()
    {
        "00",         // NUL is a valid code point
        "7F",         // last one-byte code point
        "C280",       // U+0080, first two-byte
        "DFBF",       // U+07FF, last two-byte
        "E0A080",     // U+0800, first three-byte
        "ED9FBF",     // U+D7FF, just below the surrogates
        "EE8080",     // U+E000, just above the surrogates
        "EFBBBF",     // U+FEFF, a BOM, kept as a character
        "EFBFBE",     // U+FFFE, a noncharacter but valid UTF-8
        "EFBFBF",     // U+FFFF
        "F0908080",   // U+10000, first four-byte
        "F48FBFBF",   // U+10FFFF, the last code point
        "F09F8E89",   // 🎉
    };

    [Theory]
    [MemberData(nameof(EveryStringFieldWithInvalidUtf8))]
    public void InvalidUtf8InAnyStringFieldIsRefused(int field, string hex)
    {
        var bad = RawFrame.Hex(hex);
        byte[] embedded = [(byte)'a', .. bad, (byte)'b'];

        Assert.Equal(FrameError.InvalidUtf8, FrameReader.TryRead(RawFrame.WithField(field, bad), FrameLimits.Default, out _));
        Assert.Equal(FrameError.InvalidUtf8, FrameReader.TryRead(RawFrame.WithField(field, embedded), FrameLimits.Default, out _));
        Assert.Equal(FrameError.InvalidUtf8, Message.TryParse(RawFrame.WithField(field, bad), FrameLimits.Default, out var message));
        Assert.Null(message);
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void InvalidUtf8InThePayloadIsAcceptedUnchanged(string hex)
    {
        var bad = RawFrame.Hex(hex);
        var frame = RawFrame.WithField(4, bad);

        Assert.Equal(FrameError.None, Message.TryParse(frame, FrameLimits.Default, out var message));
        Assert.NotNull(message);
        Assert.Equal(bad, message.Payload);
        Assert.Equal(frame, message.ToBytes());
    }

    [Theory]
    [MemberData(nameof(ValidEdgeCases))]
    public void EdgeCasesOfValidUtf8AreAcceptedAndRoundTripExactly(string hex)
    {
        for (var field = 0; field < 4; field++)
        {
            var frame = RawFrame.WithField(field, RawFrame.Hex(hex));

            Assert.Equal(FrameError.None, Message.TryParse(frame, FrameLimits.Default, out var message));
            Assert.NotNull(message);
            Assert.Equal(frame, message.ToBytes());
        }
    }

    [Fact]
    public void InvalidUtf8InAFieldOfTheRightLengthIsStillRefused()
    {
        // A 128-byte room of 0xFF: inside the limit, so the text check is what refuses it.
        var room = Enumerable.Repeat((byte)0xFF, 128).ToArray();

        Assert.Equal(FrameError.InvalidUtf8, FrameReader.TryRead(RawFrame.WithField(0, room), FrameLimits.Default, out _));
    }

    [Fact]
    public void EncodingAStringWithALoneSurrogateThrowsRatherThanWritingReplacementBytes()
    {
        // Writing U+FFFD silently would send a different name than the caller gave.
        Assert.ThrowsAny<ArgumentException>(() => Message.FromText("lobby\uD800", "chat", "", "", "").ToBytes());
        Assert.ThrowsAny<ArgumentException>(() => FrameWriter.GetFrameLength("lobby", "chat", "\uDC00", "", 0));
    }
}
