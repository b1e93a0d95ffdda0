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

    /// <summary>A v2 session: it can be suspended and resumed (docs/protocol.md, "Sessions").</summary>
    [Id(4)]
    public bool IsSession { get; set; }

    /// <summary>The authenticated identity a resume must present; empty for an anonymous session.</summary>
    [Id(5)]
    public string Identity { get; set; } = "";

    /// <summary>SHA-256 of the secret of the session's one valid resume token (<see cref="SessionTokens"/>); the token itself is never kept.</summary>
    [Id(6)]
    public byte[]? TokenHash { get; set; }

    /// <summary>Grows with every resume, so the end of a socket the session has left changes nothing.</summary>
    [Id(7)]
    public long Attachment { get; set; }

    /// <summary>Set while suspended: when the session ends unless resumed. Kept so a reactivation still ends it on time.</summary>
    [Id(8)]
    public DateTimeOffset? SuspendedUntil { get; set; }
}
