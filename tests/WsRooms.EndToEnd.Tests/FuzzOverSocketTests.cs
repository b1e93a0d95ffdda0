using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using WsRooms.EndToEnd.Tests.Infrastructure;
using WsRooms.Protocol;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.EndToEnd.Tests;

/// <summary>
/// Mutated frames over live sockets on both edges (flipped bytes, huge and wrong lengths, truncations, trailing
/// bytes, invalid UTF-8, oversized and text messages) while two clients keep exchanging numbered messages across
/// the edges: they lose none and see them in order, and the fuzzers only ever get protocol close codes.
/// </summary>
[Collection(EdgeClusterCollection.Name)]
public sealed class FuzzOverSocketTests(EdgeClusterFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 6006;
    private const int FuzzFrames = 400;
    private const int ChatMessages = 300;

    private static readonly uint[] HugeLengths = [0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000, 65537, 1_000_000];

    [Fact]
    public async Task MalformedFramesOverLiveSocketsCloseOnlyTheirSendersAndTheChatLosesNothing()
    {
        var room = TestNames.Room("fuzz");
        await using var a = await fixture.EdgeA.ConnectAsync();
        await using var b = await fixture.EdgeB.ConnectAsync();
        await a.JoinAsync(room);
        await b.JoinAsync(room);

        var closes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var fuzzA = FuzzAsync(fixture.EdgeA, room, new Random(Seed), closes);
        var fuzzB = FuzzAsync(fixture.EdgeB, room, new Random(Seed + 1), closes);

        var aToB = ChatAsync(a, b, room, "a");
        var bToA = ChatAsync(b, a, room, "b");
        await Task.WhenAll(fuzzA, fuzzB, aToB, bToA);

        output.WriteLine("fuzzer closes: " + string.Join(", ", closes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        // "none": the socket broke while the client still wrote (e.g. the rest of an oversized message) before it read the close.
        Assert.All(closes.Keys, code => Assert.Contains(code, new[] { "1002", "1003", "1007", "1009", "open", "none" }));
        Assert.True(closes.GetValueOrDefault("none") <= closes.Values.Sum() / 10, "almost every fuzzer hears its close code");
        Assert.True(closes.Keys.Count(k => k is "1002" or "1007" or "1009") >= 2, "the fuzz reached several close codes");

        // Both edges still take new clients.
        foreach (var edge in new[] { fixture.EdgeA, fixture.EdgeB })
        {
            await using var late = await edge.ConnectAsync();
            await late.JoinAsync(room);
        }
    }

    /// <summary>Sends numbered messages and checks the other side gets every one, in order.</summary>
    private static async Task ChatAsync(TestClient from, TestClient to, string room, string tag)
    {
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < ChatMessages; i++)
            {
                await from.SendAsync(room, "chat", $"{tag}:{i}");
            }
        });

        for (var expected = 0; expected < ChatMessages; expected++)
        {
            var message = await to.WaitForAsync(m => m.Event == "chat" && m.Src == from.Id);
            Assert.Equal($"{tag}:{expected}", message.PayloadText);
        }

        await sending;
    }

    private static async Task FuzzAsync(EdgeServer edge, string room, Random random, System.Collections.Concurrent.ConcurrentDictionary<string, int> closes)
    {
        TestClient? client = null;
        try
        {
            for (var i = 0; i < FuzzFrames; i++)
            {
                if (client is null || client.Closed.IsCompleted || client.Socket.State != WebSocketState.Open)
                {
                    if (client is not null)
                    {
                        await CountCloseAsync(client, closes);
                    }

                    client = await edge.ConnectAsync();
                    if (random.Next(2) == 0)
                    {
                        await client.JoinAsync(room); // some fuzzers are members of the chat room
                    }
                }

                var (bytes, type) = Mutate(random, room);
                var probe = $"probe-{i}";
                try
                {
                    await client.SendRawAsync(bytes, type);
                    // A probe behind it: its echo proves the frame was taken and the socket lives; else the close comes.
                    await client.SendAsync(Message.FromText(EventNames.RootRoom, "echo", "", "", probe));
                    await client.WaitForAsync(m => m.Event == "echoed" && m.PayloadText == probe, TimeSpan.FromSeconds(15));
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
                {
                    // Closed by the server for this frame: the next turn reconnects.
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                await CountCloseAsync(client, closes);
            }
        }
    }

    private static async Task CountCloseAsync(TestClient client, System.Collections.Concurrent.ConcurrentDictionary<string, int> closes)
    {
        string code;
        if (client.Socket.State == WebSocketState.Open && !client.Closed.IsCompleted)
        {
            code = "open";
        }
        else
        {
            var status = await client.WaitForCloseAsync();
            code = status is null ? "none" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        closes.AddOrUpdate(code, 1, (_, n) => n + 1);
        await client.DisposeAsync();
    }

    /// <summary>A frame built from a valid one, then broken in one of many ways (or left valid, now and then).</summary>
    private static (byte[] Bytes, WebSocketMessageType Type) Mutate(Random random, string room)
    {
        var payload = new byte[random.Next(0, 64)];
        random.NextBytes(payload);
        var frame = new Message(random.Next(3) == 0 ? room : "r" + random.Next(100), random.Next(4) == 0 ? "join" : "chat", "", "spoofed", payload).ToBytes();
        switch (random.Next(9))
        {
            case 0: // flip a byte
                frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                return (frame, WebSocketMessageType.Binary);
            case 1: // a huge length in a random field
            {
                var offset = FieldOffset(frame, random.Next(5));
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(offset), HugeLengths[random.Next(HugeLengths.Length)]);
                return (frame, WebSocketMessageType.Binary);
            }

            case 2: // a length one off
            {
                var offset = FieldOffset(frame, random.Next(5));
                var length = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(offset));
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(offset), random.Next(2) == 0 ? length + 1 : length - 1);
                return (frame, WebSocketMessageType.Binary);
            }

            case 3: // truncated
                return (frame[..random.Next(frame.Length)], WebSocketMessageType.Binary);
            case 4: // trailing bytes
                return ([.. frame, .. new byte[1 + random.Next(8)]], WebSocketMessageType.Binary);
            case 5: // invalid UTF-8 in the room or the event
            {
                var bad = new Message(room, "chat", "", "", payload).ToBytes();
                bad[random.Next(2) == 0 ? 4 : 4 + 4 + Encoding.UTF8.GetByteCount(room)] = 0xFF;
                return (bad, WebSocketMessageType.Binary);
            }

            case 6: // over the 64 KiB limit
                return (new byte[65_536 + 1 + random.Next(1000)], WebSocketMessageType.Binary);
            case 7: // a text message
                return (frame, WebSocketMessageType.Text);
            default: // valid: dropped, broadcast, or a join
                return (frame, WebSocketMessageType.Binary);
        }
    }

    /// <summary>The offset of field <paramref name="field"/>'s length prefix in a well-formed frame.</summary>
    private static int FieldOffset(byte[] frame, int field)
    {
        var offset = 0;
        for (var f = 0; f < field; f++)
        {
            offset += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(offset));
        }

        return offset;
    }
}
