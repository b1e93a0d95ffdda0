using System.Buffers;

namespace WsRooms.Protocol.Tests;

/// <summary>The hex example frame in docs/protocol.md, read and written every way the codec offers.</summary>
public sealed class ProtocolExampleTests
{
    private static readonly Message ExampleMessage = Message.FromText("lobby", "chat", "", "", "hi");

    [Fact]
    public void TheExampleIsTheSumOfItsParts()
    {
        Assert.Equal(4 + 5 + 4 + 4 + 4 + 4 + 4 + 2, RawFrame.Example.Length);
        Assert.Equal(RawFrame.Example, RawFrame.Build("lobby", "chat", "", "", "hi"));
    }

    [Fact]
    public void TheExampleReadsAsLobbyChatWithEmptyIdsAndPayloadHi()
    {
        var error = FrameReader.TryRead(RawFrame.Example, FrameLimits.Default, out var view);

        Assert.Equal(FrameError.None, error);
        Assert.Equal("lobby"u8.ToArray(), view.Room.ToArray());
        Assert.Equal("chat"u8.ToArray(), view.Event.ToArray());
        Assert.True(view.Dst.IsEmpty);
        Assert.True(view.Src.IsEmpty);
        Assert.Equal("hi"u8.ToArray(), view.Payload.ToArray());
    }

    [Fact]
    public void TheExampleParsesToTheMessageItDescribes()
    {
        var error = Message.TryParse(RawFrame.Example, FrameLimits.Default, out var message);

        Assert.Equal(FrameError.None, error);
        Assert.NotNull(message);
        Assert.Equal("lobby", message.Room);
        Assert.Equal("chat", message.Event);
        Assert.Equal("", message.Dst);
        Assert.Equal("", message.Src);
        Assert.Equal("hi"u8.ToArray(), message.Payload);
        Assert.Equal("hi", message.PayloadText);
    }

    [Fact]
    public void ToBytesEncodesTheExampleExactly()
    {
        Assert.Equal(RawFrame.Example, ExampleMessage.ToBytes());
    }

    [Fact]
    public void ToArrayEncodesTheExampleExactly()
    {
        Assert.Equal(RawFrame.Example, FrameWriter.ToArray("lobby", "chat", "", "", "hi"u8));
    }

    [Fact]
    public void WriteToASpanEncodesTheExampleExactlyAndReportsItsLength()
    {
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xAA);

        var written = FrameWriter.Write(buffer, "lobby", "chat", "", "", "hi"u8);

        Assert.Equal(RawFrame.Example.Length, written);
        Assert.Equal(RawFrame.Example, buffer[..written]);
        Assert.All(buffer[written..], b => Assert.Equal(0xAA, b)); // nothing written past the frame
    }

    [Fact]
    public void WriteToASpanOfExactlyTheFrameLengthSucceeds()
    {
        var buffer = new byte[FrameWriter.GetFrameLength("lobby", "chat", "", "", 2)];

        Assert.Equal(buffer.Length, FrameWriter.Write(buffer, "lobby", "chat", "", "", "hi"u8));
        Assert.Equal(RawFrame.Example, buffer);
    }

    [Fact]
    public void WriteToABufferWriterEncodesTheExampleExactly()
    {
        var writer = new ArrayBufferWriter<byte>();

        FrameWriter.Write(writer, "lobby", "chat", "", "", "hi"u8);

        Assert.Equal(RawFrame.Example, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void MessageWriteToEncodesTheExampleExactly()
    {
        var writer = new ArrayBufferWriter<byte>();

        ExampleMessage.WriteTo(writer);

        Assert.Equal(RawFrame.Example, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteToABufferWriterAppendsAfterWhatIsAlreadyThere()
    {
        var writer = new ArrayBufferWriter<byte>(1);
        writer.Write("xyz"u8);

        ExampleMessage.WriteTo(writer);
        ExampleMessage.WriteTo(writer);

        Assert.Equal([.. "xyz"u8.ToArray(), .. RawFrame.Example, .. RawFrame.Example], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void GetFrameLengthOfTheExampleIsItsByteCount()
    {
        Assert.Equal(RawFrame.Example.Length, ExampleMessage.GetFrameLength());
        Assert.Equal(RawFrame.Example.Length, FrameWriter.GetFrameLength("lobby", "chat", "", "", 2));
    }

    [Fact]
    public void WriteToASpanTooSmallThrowsForEveryShortLength()
    {
        for (var size = 0; size < RawFrame.Example.Length; size++)
        {
            var buffer = new byte[size];
            Assert.ThrowsAny<ArgumentException>(() => FrameWriter.Write(buffer, "lobby", "chat", "", "", "hi"u8));
        }
    }
}
