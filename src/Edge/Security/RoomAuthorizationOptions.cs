using WsRooms.Protocol;

namespace WsRooms.Edge.Security;

/// <summary>Whether a room is open to a client when no rule or claim grants it (<c>WsRooms:Rooms:DefaultPolicy</c>).</summary>
public enum RoomPolicy
{
    /// <summary>Every client may join and publish everywhere (the default).</summary>
    Allow = 0,

    /// <summary>Only what a rule or a claim grants.</summary>
    Deny = 1,
}

/// <summary>One configured grant for every client (<c>WsRooms:Rooms:Rules:N</c>).</summary>
public sealed class RoomRule
{
    /// <summary>A room name, <c>*</c>, or a prefix ending in <c>*</c> such as <c>chat.*</c> or <c>public-*</c>.</summary>
    public string Pattern { get; set; } = "";

    /// <summary>Whether the rule lets everyone join matching rooms. Default true.</summary>
    public bool Join { get; set; } = true;

    /// <summary>Whether the rule lets everyone publish to matching rooms (as members). Default true.</summary>
    public bool Publish { get; set; } = true;
}

/// <summary>The built-in room rules (<c>WsRooms:Rooms</c>), in the spirit of Azure Web PubSub's group roles.</summary>
public sealed class RoomAuthorizationOptions
{
    /// <summary>Allow (default: no checks at all) or Deny (only what <see cref="Rules"/> or the claims grant).</summary>
    public RoomPolicy DefaultPolicy { get; set; } = RoomPolicy.Allow;

    /// <summary>Grants for every client, whatever its claims.</summary>
    public List<RoomRule> Rules { get; set; } = [];

    /// <summary>A claim listing room patterns the client may join and publish to (space- or comma-separated). Default <c>rooms</c>.</summary>
    public string Claim { get; set; } = "rooms";

    /// <summary>A claim listing room patterns the client may only join. Default <c>rooms.join</c>.</summary>
    public string JoinClaim { get; set; } = "rooms.join";

    /// <summary>A claim listing room patterns the client may only publish to. Default <c>rooms.publish</c>.</summary>
    public string PublishClaim { get; set; } = "rooms.publish";

    internal IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(DefaultPolicy))
        {
            yield return $"WsRooms:Rooms:DefaultPolicy must be Allow or Deny (was {DefaultPolicy}).";
        }

        for (var i = 0; i < Rules.Count; i++)
        {
            var pattern = Rules[i].Pattern;
            if (!RoomPattern.IsValid(pattern))
            {
                yield return $"WsRooms:Rooms:Rules:{i}:Pattern must be a room name, '*' or a prefix ending in '*' (was '{pattern}').";
            }
        }
    }
}
