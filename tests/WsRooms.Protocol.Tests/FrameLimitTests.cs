using System.Text;

namespace WsRooms.Protocol.Tests;

/// <summary>The frame size limits of docs/protocol.md, their defaults, and custom limits.</summary>
public sealed class FrameLimitTests
{
    private static byte[] Bytes(int count) => Enumerable.Repeat((byte)'a', count).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    public void ARoomOfUpTo128BytesIsAccepted(int length)
    {
        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.WithField(0, Bytes(length)), FrameLimits.Default, out var view));
        Assert.Equal(length, view.Room.Length);
    }

    [Theory]
    [InlineData(129)]
    [InlineData(1000)]
    public void ARoomOver128BytesIsTooLong(int length)
    {
        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(RawFrame.WithField(0, Bytes(length)), FrameLimits.Default, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void AnEventOfUpTo64BytesIsAccepted(int length)
    {
        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.WithField(1, Bytes(length)), FrameLimits.Default, out var view));
        Assert.Equal(length, view.Event.Length);
    }

    [Fact]
    public void AnEventOf65BytesIsTooLong()
    {
        Assert.Equal(FrameError.EventTooLong, FrameReader.TryRead(RawFrame.WithField(1, Bytes(65)), FrameLimits.Default, out _));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 36)]
    [InlineData(2, 64)]
    [InlineData(3, 0)]
    [InlineData(3, 36)]
    [InlineData(3, 64)]
    public void ADstOrSrcOfUpTo64BytesIsAccepted(int field, int length)
    {
        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.WithField(field, Bytes(length)), FrameLimits.Default, out _));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ADstOrSrcOf65BytesIsTooLong(int field)
    {
        Assert.Equal(FrameError.IdTooLong, FrameReader.TryRead(RawFrame.WithField(field, Bytes(65)), FrameLimits.Default, out _));
    }

    [Fact]
    public void NameLimitsCountUtf8BytesNotCharacters()
    {
        // 64 × "é" is 64 characters and 128 bytes; 43 × "部" is 43 characters and 129 bytes.
        var roomAtLimit = Encoding.UTF8.GetBytes(new string('é', 64));
        var roomOverLimit = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("部", 43)));
        var eventOverLimit = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("🎉", 17))); // 34 UTF-16 chars, 68 bytes

        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.WithField(0, roomAtLimit), FrameLimits.Default, out _));
        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(RawFrame.WithField(0, roomOverLimit), FrameLimits.Default, out _));
        Assert.Equal(FrameError.EventTooLong, FrameReader.TryRead(RawFrame.WithField(1, eventOverLimit), FrameLimits.Default, out _));
    }

    [Fact]
    public void AMessageOfExactly64KiBIsAccepted()
    {
        var frame = RawFrame.OfSize(64 * 1024);

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, out var view));
        Assert.Equal(64 * 1024 - 29, view.Payload.Length);
    }

    [Fact]
    public void AMessageOneByteOver64KiBIsTooLarge()
    {
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(RawFrame.OfSize(64 * 1024 + 1), FrameLimits.Default, out _));
    }

    [Fact]
    public void AMessageOverTheLimitIsTooLargeWhateverItHolds()
    {
        // The size is checked before anything is read, so a huge message costs nothing to refuse.
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(new byte[64 * 1024 + 1], FrameLimits.Default, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(new byte[1024 * 1024], FrameLimits.Default, out _));
    }

    [Fact]
    public void ThePayloadMayFillEverythingTheMessageLimitLeaves()
    {
        var limits = new FrameLimits { MaxMessageBytes = 100 };

        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.OfSize(100), limits, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(RawFrame.OfSize(101), limits, out _));
    }

    [Fact]
    public void SmallerCustomLimitsAreRespected()
    {
        var limits = new FrameLimits { MaxMessageBytes = 200, MaxRoomBytes = 4, MaxEventBytes = 2, MaxIdBytes = 40 };
        limits.Validate();

        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.Build("abcd", "ev", "", "", ""), limits, out _));
        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(RawFrame.Build("abcde", "ev", "", "", ""), limits, out _));
        Assert.Equal(FrameError.EventTooLong, FrameReader.TryRead(RawFrame.Build("abcd", "eve", "", "", ""), limits, out _));
        Assert.Equal(FrameError.None, FrameReader.TryRead(RawFrame.WithField(2, Bytes(40)), new FrameLimits { MaxIdBytes = 40 }, out _));
        Assert.Equal(FrameError.IdTooLong, FrameReader.TryRead(RawFrame.Build("abcd", "ev", new string('d', 41), "", ""), limits, out _));
        Assert.Equal(FrameError.IdTooLong, FrameReader.TryRead(RawFrame.Build("abcd", "ev", "", new string('s', 41), ""), limits, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(RawFrame.OfSize(201), limits, out _));
    }

    [Fact]
    public void LargerCustomLimitsAreRespected()
    {
        var limits = new FrameLimits { MaxMessageBytes = 1024 * 1024, MaxRoomBytes = 1000, MaxEventBytes = 1000, MaxIdBytes = 1000 };
        limits.Validate();
        var frame = RawFrame.Build(Bytes(1000), Bytes(1000), Bytes(1000), Bytes(1000), new byte[900_000]);

        Assert.Equal(FrameError.None, FrameReader.TryRead(frame, limits, out _));
        Assert.Equal(FrameError.MessageTooLarge, FrameReader.TryRead(frame, FrameLimits.Default, out _));
        Assert.Equal(FrameError.RoomTooLong, FrameReader.TryRead(frame.AsSpan(0, 64 * 1024), new FrameLimits(), out _));
    }
}
