using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Xunit.Abstractions;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// Seeded random and mutation sweeps, for each protocol version. The reader must never throw, must agree with an
/// independent reading of docs/protocol.md on every input, and anything it accepts must re-encode to exactly the
/// bytes it was given.
/// </summary>
public sealed class FrameFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20240601;
    private const int Mutations = 100_000;

    private static readonly FrameLimits SmallLimits = new() { MaxMessageBytes = 512, MaxRoomBytes = 8, MaxEventBytes = 4, MaxIdBytes = 36, MaxMetaBytes = 8 };

    // Errors only a v2 frame can give: the v1 sweep cannot reach them, and must not.
    private static readonly FrameError[] V2Only = [FrameError.MetaTooLong];

    private static readonly uint[] InterestingLengths =
        [0, 1, 2, 3, 4, 5, 8, 36, 63, 64, 65, 127, 128, 129, 0xFFFF, 0x10000, 0x10001, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF];

    [Theory]
    [InlineData(ProtocolVersion.V1)]
    [InlineData(ProtocolVersion.V2)]
    public void MutatedFramesNeverThrowAndAcceptedOnesReEncodeExactly(ProtocolVersion version)
    {
        var random = new Random(Seed);
        var corpus = BuildCorpus(random, version);
        var seen = new Dictionary<FrameError, int>();

        for (var i = 0; i < Mutations; i++)
        {
            var original = corpus[random.Next(corpus.Count)];
            var mutated = original;
            var rounds = 1 + random.Next(3);
            for (var r = 0; r < rounds; r++)
            {
                mutated = Mutate(random, mutated, corpus, FieldCount(version));
            }

            var limits = random.Next(4) == 0 ? SmallLimits : FrameLimits.Default;
            var error = Check(mutated, limits, version, $"{version} mutation {i} (seed {Seed})");
            seen[error] = seen.GetValueOrDefault(error) + 1;
        }

        output.WriteLine(string.Join(Environment.NewLine, seen.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));

        // The sweep must reach every outcome its version can give, or it is not testing what it claims to.
        var reachable = Enum.GetValues<FrameError>().Where(e => version == ProtocolVersion.V2 || !V2Only.Contains(e));
        Assert.All(reachable, e => Assert.True(seen.ContainsKey(e), $"no mutation gave {e}: {string.Join(", ", seen)}"));
        Assert.All(V2Only.Where(_ => version == ProtocolVersion.V1), e => Assert.False(seen.ContainsKey(e), $"a v1 frame gave {e}"));
    }

    [Theory]
    [InlineData(ProtocolVersion.V1)]
    [InlineData(ProtocolVersion.V2)]
    public void RandomBytesNeverThrow(ProtocolVersion version)
    {
        var random = new Random(Seed + 1);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            Check(bytes, FrameLimits.Default, version, $"{version} random bytes {i}");
        }
    }

    [Theory]
    [InlineData(ProtocolVersion.V1)]
    [InlineData(ProtocolVersion.V2)]
    public void RandomValidMessagesRoundTripThroughEveryWriter(ProtocolVersion version)
    {
        var random = new Random(Seed + 2);
        for (var i = 0; i < 5_000; i++)
        {
            var message = RandomMessage(random);
            var meta = version == ProtocolVersion.V2 ? RandomMeta(random, FrameLimits.Default.MaxMetaBytes) : [];
            var bytes = message.ToBytes(version, meta);
            Assert.Equal(message.GetFrameLength(version, meta.Length), bytes.Length);

            var writer = new ArrayBufferWriter<byte>();
            message.WriteTo(writer, version, meta);
            Assert.Equal(bytes, writer.WrittenSpan.ToArray());

            var span = new byte[bytes.Length];
            Assert.Equal(bytes.Length, FrameWriter.Write(span, message.Room, message.Event, message.Dst, message.Src, message.Payload, version, meta));
            Assert.Equal(bytes, span);

            Assert.Equal(FrameError.None, Message.TryParse(bytes, FrameLimits.Default, version, out var parsed, out var parsedMeta));
            RawFrame.AssertSameFields(message, parsed);
            Assert.Equal(meta, parsedMeta);
            Assert.Equal(bytes, parsed.ToBytes(version, parsedMeta));
        }
    }

    private static int FieldCount(ProtocolVersion version) => version == ProtocolVersion.V2 ? 6 : 5;

    // Reads one input every way and checks it against the reference reading; returns the reader's verdict.
    private static FrameError Check(byte[] input, FrameLimits limits, ProtocolVersion version, string what)
    {
        var expected = ReferenceRead(input, limits, FieldCount(version));
        var error = FrameReader.TryRead(input, limits, version, out var view);

        Assert.True(expected == error, $"{what}: reader said {error}, docs/protocol.md says {expected}; frame {Convert.ToHexString(input)}");
        Assert.True(Enum.IsDefined(error), $"{what}: undefined error {(int)error}");

        var parseError = Message.TryParse(input, limits, version, out var message, out var meta);
        Assert.Equal(error, parseError);

        if (version == ProtocolVersion.V1)
        {
            // The calls without a version are v1, with the same verdict.
            Assert.Equal(error, FrameReader.TryRead(input, limits, out _));
            Assert.Equal(error, Message.TryParse(input, limits, out _));
        }

        if (error == FrameError.None)
        {
            var header = version == ProtocolVersion.V2 ? FrameLimits.V2HeaderBytes : FrameLimits.HeaderBytes;
            Assert.True(view.Room.Length + view.Event.Length + view.Dst.Length + view.Src.Length + view.Payload.Length + view.Meta.Length + header == input.Length);
            Assert.NotNull(message);
            Assert.True(view.Meta.SequenceEqual(meta));
            Assert.Equal(input.Length, message.GetFrameLength(version, meta.Length));
            Assert.True(input.AsSpan().SequenceEqual(message.ToBytes(version, meta)), $"{what}: accepted but re-encoded differently: {Convert.ToHexString(input)}");
        }
        else
        {
            Assert.Null(message);
            Assert.Empty(meta);
        }

        return error;
    }

    /// <summary>
    /// docs/protocol.md read independently of the codec: size first; then each field's length (five in v1, six with
    /// meta in v2) against what is left (past the end: truncated) and its limit; then leftovers; then empty names;
    /// then strict UTF-8 in the four names (payload and meta are bytes).
    /// </summary>
    private static FrameError ReferenceRead(ReadOnlySpan<byte> frame, FrameLimits limits, int fieldCount)
    {
        if (frame.Length > limits.MaxMessageBytes)
        {
            return FrameError.MessageTooLarge;
        }

        long[] limit = [limits.MaxRoomBytes, limits.MaxEventBytes, limits.MaxIdBytes, limits.MaxIdBytes, long.MaxValue, limits.MaxMetaBytes];
        FrameError[] tooLong =
            [FrameError.RoomTooLong, FrameError.EventTooLong, FrameError.IdTooLong, FrameError.IdTooLong, FrameError.MessageTooLarge, FrameError.MetaTooLong];
        var starts = new int[fieldCount];
        var lengths = new int[fieldCount];
        long position = 0;
        for (var i = 0; i < fieldCount; i++)
        {
            if (frame.Length - position < 4)
            {
                return FrameError.Truncated;
            }

            long length = BinaryPrimitives.ReadUInt32BigEndian(frame[(int)position..]);
            position += 4;
            if (length > frame.Length - position)
            {
                return FrameError.Truncated;
            }

            if (length > limit[i])
            {
                return tooLong[i];
            }

            starts[i] = (int)position;
            lengths[i] = (int)length;
            position += length;
        }

        if (position != frame.Length)
        {
            return FrameError.TrailingBytes;
        }

        if (lengths[0] == 0)
        {
            return FrameError.EmptyRoom;
        }

        if (lengths[1] == 0)
        {
            return FrameError.EmptyEvent;
        }

        for (var i = 0; i < 4; i++)
        {
            if (!IsStrictUtf8(frame.Slice(starts[i], lengths[i])))
            {
                return FrameError.InvalidUtf8;
            }
        }

        return FrameError.None;
    }

    // RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF, no cut sequences.
    private static bool IsStrictUtf8(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length)
        {
            int lead = text[i];
            int more;
            int codePoint;
            if (lead < 0x80)
            {
                i++;
                continue;
            }
            else if (lead is >= 0xC2 and <= 0xDF)
            {
                more = 1;
                codePoint = lead & 0x1F;
            }
            else if (lead is >= 0xE0 and <= 0xEF)
            {
                more = 2;
                codePoint = lead & 0x0F;
            }
            else if (lead is >= 0xF0 and <= 0xF4)
            {
                more = 3;
                codePoint = lead & 0x07;
            }
            else
            {
                return false;
            }

            if (i + more >= text.Length)
            {
                return false;
            }

            for (var k = 1; k <= more; k++)
            {
                int next = text[i + k];
                if ((next & 0xC0) != 0x80)
                {
                    return false;
                }

                codePoint = (codePoint << 6) | (next & 0x3F);
            }

            var tooShort = more switch { 2 => codePoint < 0x800, 3 => codePoint < 0x10000, _ => false };
            if (tooShort || codePoint is >= 0xD800 and <= 0xDFFF || codePoint > 0x10FFFF)
            {
                return false;
            }

            i += more + 1;
        }

        return true;
    }

    private static List<byte[]> BuildCorpus(Random random, ProtocolVersion version)
    {
        var corpus = new List<byte[]>
        {
            RawFrame.Example,
            RawFrame.Build("r", "e", "", "", ""),
            RawFrame.Build("lobby", "chat", "0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e", "{\"x\":1}"),
            RawFrame.Build("café", "部屋", "🎉", "комната", "payload"),
            RawFrame.Build(new string('r', 8), "ev", "", "", ""),
        };
        for (var i = 0; i < 60; i++)
        {
            corpus.Add(RandomMessage(random).ToBytes());
        }

        if (version == ProtocolVersion.V2)
        {
            // Each v1 frame with a meta: none, a position, a message id of any allowed size.
            corpus = [.. corpus.Select(frame => (byte[])[.. frame, .. RawFrame.MetaField(RandomMeta(random, FrameLimits.Default.MaxMetaBytes))])];
        }

        foreach (var frame in corpus)
        {
            Assert.Equal(FrameError.None, FrameReader.TryRead(frame, FrameLimits.Default, version, out _));
        }

        return corpus;
    }

    // A meta a v2 frame may carry: empty, a position, or a message id of 1 to maxBytes random bytes.
    private static byte[] RandomMeta(Random random, int maxBytes)
    {
        switch (random.Next(4))
        {
            case 0:
                return [];
            case 1:
                return FramePosition.ToMeta((ulong)random.NextInt64() << random.Next(2));
            default:
                var meta = new byte[random.Next(3) == 0 ? maxBytes : random.Next(1, maxBytes + 1)];
                random.NextBytes(meta);
                return meta;
        }
    }

    private static Message RandomMessage(Random random)
    {
        var payload = new byte[random.Next(4) == 0 ? 0 : random.Next(0, 300)];
        random.NextBytes(payload);
        return new Message(
            RandomText(random, 1, 128),
            RandomText(random, 1, 64),
            random.Next(2) == 0 ? "" : RandomText(random, 0, 64),
            random.Next(2) == 0 ? "" : RandomText(random, 0, 64),
            payload);
    }

    // Random text of minBytes..maxBytes UTF-8 bytes, mixing one- to four-byte characters.
    private static string RandomText(Random random, int minBytes, int maxBytes)
    {
        var target = random.Next(minBytes, maxBytes + 1);
        var text = new StringBuilder();
        var bytes = 0;
        while (bytes < target)
        {
            var codePoint = random.Next(4) switch
            {
                0 => random.Next(0x20, 0x7F),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(2) == 0 ? random.Next(0x800, 0xD800) : random.Next(0xE000, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            var size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            if (bytes + size > target)
            {
                codePoint = 'a';
                size = 1;
            }

            text.Append(char.ConvertFromUtf32(codePoint));
            bytes += size;
        }

        return text.ToString();
    }

    private static byte[] Mutate(Random random, byte[] frame, List<byte[]> corpus, int fieldCount)
    {
        var bytes = new List<byte>(frame);
        if (fieldCount == 6 && random.Next(8) == 0)
        {
            return MutateFieldCount(random, frame);
        }

        switch (random.Next(11))
        {
            case 0 when bytes.Count > 0: // flip one bit
                bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                break;

            case 1 when bytes.Count > 0: // one byte to anything
                bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                break;

            case 2: // a length prefix (where one really is, if the frame still parses that far) to an interesting value
            {
                var offsets = PrefixOffsets(frame, fieldCount);
                if (offsets.Count == 0)
                {
                    goto case 3;
                }

                var offset = offsets[random.Next(offsets.Count)];
                var old = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(offset));
                var length = random.Next(3) switch
                {
                    0 => InterestingLengths[random.Next(InterestingLengths.Length)],
                    1 => unchecked(old + (uint)random.Next(-3, 4)),
                    _ => (uint)random.NextInt64(0, 1L << 32),
                };
                var prefix = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(prefix, length);
                for (var k = 0; k < 4; k++)
                {
                    bytes[offset + k] = prefix[k];
                }

                break;
            }

            case 3: // truncate
            {
                var keep = random.Next(bytes.Count + 1);
                bytes.RemoveRange(keep, bytes.Count - keep);
                break;
            }

            case 4: // insert a few bytes
            {
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                bytes.InsertRange(random.Next(bytes.Count + 1), inserted);
                break;
            }

            case 5 when bytes.Count > 0: // delete a range
            {
                var start = random.Next(bytes.Count);
                bytes.RemoveRange(start, random.Next(1, Math.Min(8, bytes.Count - start) + 1));
                break;
            }

            case 6 when bytes.Count > 0: // duplicate a range
            {
                var start = random.Next(bytes.Count);
                var range = bytes.GetRange(start, random.Next(1, Math.Min(16, bytes.Count - start) + 1));
                bytes.InsertRange(start, range);
                break;
            }

            case 7: // append bytes
            {
                var appended = new byte[random.Next(1, 9)];
                random.NextBytes(appended);
                bytes.AddRange(appended);
                break;
            }

            case 8: // bytes inside a string field to high (often non-UTF-8) values, keeping the structure
            {
                var offsets = PrefixOffsets(frame, fieldCount);
                if (offsets.Count < 4)
                {
                    break;
                }

                var field = random.Next(4);
                var length = (long)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(offsets[field]));
                if (length > 0 && offsets[field] + 4 + length <= frame.Length)
                {
                    bytes[offsets[field] + 4 + random.Next((int)length)] = (byte)random.Next(0x80, 0x100);
                }

                break;
            }

            case 9: // rebuild with one field replaced, the length kept true: empty, random, at or past a limit
            {
                var fields = Fields(frame, fieldCount);
                if (fields is null)
                {
                    break;
                }

                var size = random.Next(5) switch
                {
                    0 => 0,
                    1 => 1,
                    2 => (int)InterestingLengths[random.Next(10)],
                    _ => random.Next(0, 200),
                };
                var value = new byte[size];
                if (random.Next(2) == 0)
                {
                    random.NextBytes(value);
                }
                else
                {
                    Array.Fill(value, (byte)'x');
                }

                fields[random.Next(fieldCount)] = value;
                bytes = [.. RawFrame.Build(fields)];
                break;
            }

            default: // splice the head of this frame onto the tail of another
            {
                var other = corpus[random.Next(corpus.Count)];
                bytes = [.. frame.AsSpan(0, random.Next(frame.Length + 1)), .. other.AsSpan(random.Next(other.Length + 1))];
                break;
            }
        }

        return [.. bytes];
    }

    // A v2 frame with one field too few (its meta dropped: a v1 frame) or too many (a seventh after meta).
    private static byte[] MutateFieldCount(Random random, byte[] frame)
    {
        var fields = Fields(frame, 6);
        if (fields is null)
        {
            return frame;
        }

        if (random.Next(2) == 0)
        {
            return RawFrame.Build(fields[..5]);
        }

        var seventh = new byte[random.Next(0, 9)];
        random.NextBytes(seventh);
        return RawFrame.Build([.. fields, seventh]);
    }

    // The fields of a frame that is at least structurally whole, else null.
    private static byte[][]? Fields(byte[] frame, int fieldCount)
    {
        var offsets = PrefixOffsets(frame, fieldCount);
        if (offsets.Count < fieldCount)
        {
            return null;
        }

        var fields = new byte[fieldCount][];
        for (var i = 0; i < fieldCount; i++)
        {
            var length = (long)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(offsets[i]));
            if (offsets[i] + 4 + length > frame.Length)
            {
                return null;
            }

            fields[i] = frame.AsSpan(offsets[i] + 4, (int)length).ToArray();
        }

        return fields;
    }

    // Where the length prefixes are, as far as the frame can be walked without running off its end.
    private static List<int> PrefixOffsets(byte[] frame, int fieldCount)
    {
        var offsets = new List<int>();
        long position = 0;
        while (offsets.Count < fieldCount && frame.Length - position >= 4)
        {
            offsets.Add((int)position);
            position += 4 + (long)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan((int)position));
        }

        return offsets;
    }
}
