using System.Text;
using System.Text.Json;
using WsRooms.Delivery;
using WsRooms.Protocol;
using WsRooms.Testing;

namespace WsRooms.Grains.Tests;

/// <summary>What the v2 grain tests share: opening sessions as an edge host does, and reading the frames they get.</summary>
internal static class V2Sessions
{
    /// <summary>Opens a v2 session on <paramref name="edge"/> for <paramref name="identity"/>.</summary>
    public static async Task<(string Id, SessionStart Start)> OpenSessionAsync(this IGrainFactory grains, FakeEdge edge, string identity = "alice")
    {
        var id = TestNames.Connection();
        var start = await grains.GetConnection(id).OpenSessionAsync(edge.Id, new Dictionary<string, string> { ["sub"] = identity }, identity);
        return (id, start);
    }

    /// <summary>Joins <paramref name="connection"/> to <paramref name="room"/> and waits for its join_ack on <paramref name="edge"/>; returns the join's position.</summary>
    public static async Task<long> JoinAndWaitAsync(this IGrainFactory grains, FakeEdge edge, string connection, string room, JoinHistory? history = null)
    {
        var join = await grains.GetConnection(connection).TryJoinWithPositionAsync(room, 0, 0, history);
        Assert.Equal(join.Position, (await edge.WaitForConnectionEventAsync(connection, room, EventNames.JoinAck)).Position);
        return join.Position;
    }

    /// <summary>The ack to <paramref name="connection"/> on <paramref name="edge"/> that names <paramref name="mid"/> (from the start).</summary>
    public static Task<EdgeDelivery> WaitForAckAsync(this FakeEdge edge, string connection, string mid) =>
        edge.WaitForAsync(d => d.Connection == connection && d.Message.Event == EventNames.Ack && MidOf(d) == mid);

    /// <summary>Every ack to <paramref name="connection"/> that names <paramref name="mid"/>, received so far.</summary>
    public static IReadOnlyList<EdgeDelivery> AcksOf(this FakeEdge edge, string connection, string mid) =>
        [.. edge.Received.Where(d => d.Connection == connection && d.Message.Event == EventNames.Ack && MidOf(d) == mid)];

    /// <summary>The <c>seq</c> of an ack frame.</summary>
    public static long SeqOf(EdgeDelivery ack)
    {
        using var json = JsonDocument.Parse(ack.Message.Payload);
        return json.RootElement.GetProperty("seq").GetInt64();
    }

    /// <summary>The <c>mid</c> of an ack frame, null when it has none.</summary>
    public static string? MidOf(EdgeDelivery ack)
    {
        using var json = JsonDocument.Parse(ack.Message.Payload);
        return json.RootElement.TryGetProperty("mid", out var mid) ? mid.GetString() : null;
    }

    public static byte[] Mid(string mid) => Encoding.UTF8.GetBytes(mid);
}
