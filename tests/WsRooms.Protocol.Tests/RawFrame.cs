using System.Buffers.Binary;
using System.Text;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// Builds frames byte by byte, without <see cref="FrameWriter"/>, so the reader is checked against docs/protocol.md
/// rather than against the codec's own writer.
/// </summary>
internal static class RawFrame
{
    /// <summary>The five field names in wire order, for test data that names a field.</summary>
    public static readonly string[] FieldNames = ["room", "event", "dst", "src", "payload"];

    /// <summary>The example frame of docs/protocol.md: room lobby, event chat, empty dst and src, payload "hi".</summary>
    public const string ExampleHex = "00000005 6c6f626279 00000004 63686174 00000000 00000000 00000002 6869";

    public static byte[] Example => Hex(ExampleHex);

    /// <summary>Bytes from hex, spaces allowed.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Five length-prefixed fields, each prefix the field's true length.</summary>
    public static byte[] Build(byte[] room, byte[] @event, byte[] dst, byte[] src, byte[] payload) =>
        Build([room, @event, dst, src, payload]);

    public static byte[] Build(string room, string @event, string dst, string src, string payload) =>
        Build(Utf8(room), Utf8(@event), Utf8(dst), Utf8(src), Utf8(payload));

    /// <summary>Any number of length-prefixed fields (fewer or more than five, for malformed frames).</summary>
    public static byte[] Build(params byte[][] fields)
    {
        var frame = new byte[fields.Sum(f => 4 + f.Length)];
        var position = 0;
        foreach (var field in fields)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(position), (uint)field.Length);
            field.CopyTo(frame, position + 4);
            position += 4 + field.Length;
        }

        return frame;
    }

    /// <summary>A v2 frame: the five fields, then meta, each prefix the field's true length.</summary>
    public static byte[] BuildV2(string room, string @event, string dst, string src, string payload, byte[] meta) =>
        Build(Utf8(room), Utf8(@event), Utf8(dst), Utf8(src), Utf8(payload), meta);

    /// <summary>The meta field alone (its length, then its bytes): what follows a v1 frame to make it v2.</summary>
    public static byte[] MetaField(byte[] meta) => Build([meta]);

    /// <summary>A valid frame with one field (0 = room … 4 = payload) replaced by <paramref name="value"/>.</summary>
    public static byte[] WithField(int fieldIndex, byte[] value)
    {
        byte[][] fields = [Utf8("lobby"), Utf8("chat"), Utf8("dst-id"), Utf8("src-id"), Utf8("hi")];
        fields[fieldIndex] = value;
        return Build(fields);
    }

    /// <summary>Offsets of the five length prefixes of a well-formed frame.</summary>
    public static int[] LengthOffsets(ReadOnlySpan<byte> frame)
    {
        var offsets = new int[5];
        var position = 0;
        for (var i = 0; i < 5; i++)
        {
            offsets[i] = position;
            position += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(frame[position..]);
        }

        return offsets;
    }

    /// <summary>A copy of <paramref name="frame"/> with the length prefix of one field overwritten.</summary>
    public static byte[] WithLength(byte[] frame, int fieldIndex, uint length)
    {
        var copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(LengthOffsets(frame)[fieldIndex]), length);
        return copy;
    }

    /// <summary>A frame of exactly <paramref name="totalBytes"/> bytes: room lobby, event chat, the rest payload.</summary>
    public static byte[] OfSize(int totalBytes) =>
        Build(Utf8("lobby"), Utf8("chat"), [], [], new byte[totalBytes - FrameLimits.HeaderBytes - 9]);

    /// <summary>
    /// Every field of a frame of <paramref name="fields"/> fields, each with lengths a reader must refuse before it
    /// reads on: past the end, past int.MaxValue, wrapping round, and just over the message limit.
    /// </summary>
    public static TheoryData<int, uint> EveryFieldWithHugeLengths(int fields)
    {
        var data = new TheoryData<int, uint>();
        for (var index = 0; index < fields; index++)
        {
            foreach (var length in new uint[] { 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x80000001, 0xFFFFFFFC, 64 * 1024, 64 * 1024 + 1 })
            {
                data.Add(index, length);
            }
        }

        return data;
    }

    /// <summary>That <paramref name="actual"/> carries the five fields of <paramref name="expected"/>.</summary>
    public static void AssertSameFields(Message expected, [System.Diagnostics.CodeAnalysis.NotNull] Message? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Room, actual.Room);
        Assert.Equal(expected.Event, actual.Event);
        Assert.Equal(expected.Dst, actual.Dst);
        Assert.Equal(expected.Src, actual.Src);
        Assert.Equal(expected.Payload, actual.Payload);
    }
}
