namespace WsRooms.Grains;

/// <summary>What a join with limits (<see cref="IConnectionGrain.TryJoinAsync"/>) came to; <see cref="RoomJoin"/> adds its position.</summary>
[GenerateSerializer, Alias("wsrooms.JoinResult")]
public enum JoinResult : byte
{
    /// <summary>The connection is now a member; it gets join_ack, the others new_member.</summary>
    Joined = 0,

    /// <summary>It was a member already; it gets join_ack again.</summary>
    AlreadyMember = 1,

    /// <summary>The connection is unknown (closed or never opened).</summary>
    UnknownConnection = 2,

    /// <summary>The connection is in as many rooms as it may be; nothing changed.</summary>
    TooManyRooms = 3,

    /// <summary>The room has as many members as it may have; nothing changed.</summary>
    RoomFull = 4,
}
