namespace WsRooms.Grains.Connections;

/// <summary>What a connection persists: where its socket is, who it is, and the rooms it is in.</summary>
[GenerateSerializer, Alias("wsrooms.ConnectionState")]
public sealed class ConnectionState
{
    /// <summary>The edge host holding the socket.</summary>
    [Id(0)]
    public string EdgeId { get; set; } = "";

    /// <summary>What the authorization hook said about the client. Replaced on open, never changed in place.</summary>
    [Id(1)]
    public Dictionary<string, string> Claims { get; set; } = [];

    /// <summary>The rooms the connection joined, so closing can leave every one of them.</summary>
    [Id(2)]
    public HashSet<string> Rooms { get; set; } = [];

    /// <summary>False before open and after close: the id does not resolve then.</summary>
    [Id(3)]
    public bool IsOpen { get; set; }
}
