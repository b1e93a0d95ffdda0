using System.Globalization;
using WsRooms.Grains;
using WsRooms.Protocol;
using WsRooms.Reliability.Tests.Infrastructure;
using WsRooms.Testing;
using Xunit.Abstractions;

namespace WsRooms.Reliability.Tests;

/// <summary>
/// kill -9 the silo holding a room whose log is durable (Azure Table, here Azurite): the room comes back on the other
/// silo with its log, every frame at its position, and continues one above the last stored position.
/// </summary>
public sealed class DurableRoomLogFailureTests(ITestOutputHelper output)
{
    private const int Frames = 5;

    [Fact]
    public async Task ADurableRoomLogSurvivesKillingItsSiloWithEveryFrameAtItsPosition()
    {
        // A lease longer than failure detection: a renewal routed through the dying silo must not expire a live edge.
        await using var stack = await AzureStack.StartAsync(output, silos: 2, edges: 2, edgeLease: TimeSpan.FromSeconds(15), siloSettings:
        [
            "--WsRooms:RoomLog:Rules:0:Pattern", "durable.*",
            "--WsRooms:RoomLog:Rules:0:Durable", "true",
        ]);
        var clients = new List<TestClient>();
        try
        {
            var room = "durable." + Guid.NewGuid().ToString("N");
            var publisher = await TestClient.ConnectV2Async(stack.Edges[0].WebSocketUri);
            clients.Add(publisher);
            await publisher.JoinForAckAsync(room);
            var positions = new List<long>();
            for (var i = 0; i < Frames; i++)
            {
                var mid = i.ToString(CultureInfo.InvariantCulture);
                await publisher.PublishAsync(room, "chat", $"frame{i}", mid);
                positions.Add((await publisher.WaitForAckAsync(mid)).Json.GetProperty("seq").GetInt64());
            }

            var address = await stack.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(stack.Client.GetRoom(room));
            var silo = stack.Silos.Single(s => s.SiloPort == address!.Endpoint.Port);
            await silo.Process!.KillAsync();
            output.WriteLine($"kill -9 {silo.Name} (pid {silo.Process.Pid}), which held room {room} at positions {positions[0]}..{positions[^1]}");

            // A joiner on the other edge asks for the whole log once the room is back on the surviving silo.
            List<ReceivedFrame>? history = null;
            ReceivedFrame? joinAck = null;
            await Poll.UntilAsync(
                async () =>
                {
                    var joiner = await TestClient.ConnectV2Async(stack.Edges[1].WebSocketUri);
                    clients.Add(joiner);
                    await joiner.SendAsync(Message.FromText(room, EventNames.Join, joiner.Id, joiner.Id, $$"""{"history": {{Frames + 1}}}"""));
                    joinAck = await joiner.WaitForFrameAsync(room, EventNames.JoinAck, TimeSpan.FromSeconds(10));
                    history = [];
                    for (var i = 0; i < Frames + 1; i++)
                    {
                        history.Add(await joiner.NextFrameAsync(TimeSpan.FromSeconds(10)));
                    }

                    return true;
                },
                TimeSpan.FromSeconds(90),
                "a join with history once the room is back");

            Assert.Equal((EventNames.NewMember, publisher.Id), (history![0].Event, history[0].PayloadText));
            Assert.Equal(Enumerable.Range(0, Frames).Select(i => $"frame{i}"), history.Skip(1).Select(f => f.PayloadText));
            Assert.Equal(positions, history.Skip(1).Select(f => f.Position!.Value));
            Assert.Equal(positions[^1] + 1, joinAck!.Position); // the log continues one above its last stored position
            output.WriteLine($"After the kill the joiner got the {Frames} frames at their positions; its join was logged at {joinAck.Position}");
        }
        catch
        {
            stack.DumpLogs();
            throw;
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }
}
