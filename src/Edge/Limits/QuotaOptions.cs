namespace WsRooms.Edge.Limits;

/// <summary>
/// Abuse limits of one edge host (<c>WsRooms:Quotas</c>). Every limit is off at 0, the default: a limit is a
/// policy of the deployment, not of the protocol. Each property says what exceeding it does.
/// </summary>
public sealed class QuotaOptions
{
    /// <summary>Rooms one connection may be in at once (root not counted). Past it a join gets a <c>too_many_rooms</c> error frame.</summary>
    public int MaxRoomsPerConnection { get; set; }

    /// <summary>Members a room may have when a client joins it. Past it a join gets a <c>room_full</c> error frame.</summary>
    public int MaxMembersPerRoom { get; set; }

    /// <summary>Frames per second one connection may send (token bucket). Past it: close 1008.</summary>
    public int MessagesPerSecond { get; set; }

    /// <summary>The message bucket's size: frames a connection may send at once. Default (0): <see cref="MessagesPerSecond"/>.</summary>
    public int MessageBurst { get; set; }

    /// <summary>Bytes per second one connection may send (token bucket over whole frames). Past it: close 1008.</summary>
    public int BytesPerSecond { get; set; }

    /// <summary>The byte bucket's size. Default (0): the larger of <see cref="BytesPerSecond"/> and the message size limit.</summary>
    public int ByteBurst { get; set; }

    /// <summary>Connections this edge host holds at once. Past it a new connection is accepted and closed with 1008.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Connections one user (<see cref="UserClaim"/>) may hold on this edge host. Past it: accepted and closed with 1008.</summary>
    public int MaxConnectionsPerUser { get; set; }

    /// <summary>Connections one client IP address may hold on this edge host. Past it: accepted and closed with 1008.</summary>
    public int MaxConnectionsPerIp { get; set; }

    /// <summary>The claim that names the user for <see cref="MaxConnectionsPerUser"/>. Default <c>sub</c>; connections without it are not counted per user.</summary>
    public string UserClaim { get; set; } = "sub";

    internal bool HasRateLimits => MessagesPerSecond > 0 || BytesPerSecond > 0;

    internal bool HasConnectionLimits => MaxConnections > 0 || MaxConnectionsPerUser > 0 || MaxConnectionsPerIp > 0;

    internal int EffectiveMessageBurst => MessageBurst > 0 ? MessageBurst : MessagesPerSecond;

    internal int EffectiveByteBurst(int maxMessageBytes) => ByteBurst > 0 ? ByteBurst : Math.Max(BytesPerSecond, maxMessageBytes);

    internal IEnumerable<string> Validate(int maxMessageBytes)
    {
        (string Key, int Value)[] limits =
        [
            (nameof(MaxRoomsPerConnection), MaxRoomsPerConnection), (nameof(MaxMembersPerRoom), MaxMembersPerRoom),
            (nameof(MessagesPerSecond), MessagesPerSecond), (nameof(MessageBurst), MessageBurst),
            (nameof(BytesPerSecond), BytesPerSecond), (nameof(ByteBurst), ByteBurst), (nameof(MaxConnections), MaxConnections),
            (nameof(MaxConnectionsPerUser), MaxConnectionsPerUser), (nameof(MaxConnectionsPerIp), MaxConnectionsPerIp),
        ];
        foreach (var (key, value) in limits)
        {
            if (value < 0)
            {
                yield return $"WsRooms:Quotas:{key} must not be negative; 0 turns it off (was {value}).";
            }
        }

        if (BytesPerSecond > 0 && EffectiveByteBurst(maxMessageBytes) < maxMessageBytes)
        {
            yield return $"WsRooms:Quotas:ByteBurst must be at least WsRooms:Limits:MaxMessageBytes ({maxMessageBytes}), or no largest frame could ever pass (was {EffectiveByteBurst(maxMessageBytes)}).";
        }
    }
}
