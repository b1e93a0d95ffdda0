using System.Diagnostics;
using WsRooms.Grains;
using WsRooms.Testing;

// Publishes Frames small frames to a room with one member, first one at a time (each awaited until the member has
// it, so each pays a whole storage write when the room is durable), then all at once (their writes batch); in a
// room with the in-memory log and in a durable one, Rounds times each, alternating.
const int Frames = 200;
const int Rounds = 2;
const string Payload = "0123456789abcdef0123456789abcdef";

await using var cluster = await new WsRoomsTestClusterBuilder()
    .WithSilos(2)
    .WithEdges(1)
    .UseAzureTableStorage()
    .WithSetting("WsRooms:RoomLog:Rules:0:Pattern", "durable-*")
    .WithSetting("WsRooms:RoomLog:Rules:0:Durable", "true")
    .StartAsync();
await using var member = await TestClient.ConnectAsync(cluster.Edges[0].WebSocketUri);

Console.WriteLine($"publish to delivery, {Frames} frames of {Payload.Length} bytes, two silos on Azurite, one edge host");
for (var round = 0; round < Rounds; round++)
{
    foreach (var kind in new[] { "memory", "durable" })
    {
        var room = $"{kind}-{Guid.NewGuid():N}";
        await member.JoinAsync(room);
        var grain = cluster.Grains.GetRoom(room);

        var oneByOne = Stopwatch.StartNew();
        for (var i = 0; i < Frames; i++)
        {
            var @event = $"n{i}";
            await grain.PublishTextAsync(@event, Payload);
            await member.WaitForAsync(m => m.Room == room && m.Event == @event);
        }

        var sequential = oneByOne.Elapsed;
        var atOnce = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Frames).Select(i => grain.PublishTextAsync($"b{i}", Payload)));
        for (var received = 0; received < Frames; received++)
        {
            await member.WaitForAsync(m => m.Room == room && m.Event.StartsWith('b'));
        }

        Console.WriteLine($"{kind,-8} one at a time {sequential.TotalMilliseconds * 1000 / Frames,8:F0} µs per frame   {Frames} at once {atOnce.Elapsed.TotalMilliseconds * 1000 / Frames,8:F0} µs per frame");
    }
}
