using Microsoft.Extensions.Options;
using WsRooms.Protocol;

namespace WsRooms.Edge.Security;

/// <summary>
/// The default <see cref="IRoomAuthorizer"/>: with <see cref="RoomPolicy.Allow"/> everything is allowed (no work per
/// frame); with <see cref="RoomPolicy.Deny"/> a join or publish needs a configured rule or a claim whose patterns
/// match the room. Patterns: an exact name, <c>*</c>, or a prefix ending in <c>*</c> (<c>chat.*</c> matches
/// <c>chat.lobby</c>). Everyone may join <c>root</c> (every connection is in it); publishing to root needs a grant.
/// Matching walks the claim's text in place: nothing is allocated per frame.
/// </summary>
public sealed class ClaimsRoomAuthorizer(IOptions<WsRoomsEdgeOptions> options) : IRoomAuthorizer
{
    private static readonly ValueTask<bool> Allowed = ValueTask.FromResult(true);
    private static readonly ValueTask<bool> Denied = ValueTask.FromResult(false);

    private readonly RoomAuthorizationOptions _options = options.Value.Rooms;

    /// <inheritdoc />
    public ValueTask<bool> IsAllowedAsync(IReadOnlyDictionary<string, string> claims, string room, RoomAction action, CancellationToken cancellationToken) =>
        IsAllowed(claims, room, action) ? Allowed : Denied;

    /// <summary>The decision, synchronously.</summary>
    public bool IsAllowed(IReadOnlyDictionary<string, string> claims, string room, RoomAction action)
    {
        if (_options.DefaultPolicy == RoomPolicy.Allow || (action == RoomAction.Join && room == EventNames.RootRoom))
        {
            return true;
        }

        foreach (var rule in _options.Rules)
        {
            if ((action == RoomAction.Join ? rule.Join : rule.Publish) && RoomPattern.Matches(rule.Pattern, room))
            {
                return true;
            }
        }

        return ClaimGrants(claims, _options.Claim, room)
            || ClaimGrants(claims, action == RoomAction.Join ? _options.JoinClaim : _options.PublishClaim, room);
    }

    private static bool ClaimGrants(IReadOnlyDictionary<string, string> claims, string claimType, string room)
    {
        if (claimType.Length == 0 || !claims.TryGetValue(claimType, out var value))
        {
            return false;
        }

        var rest = value.AsSpan();
        while (rest.Length > 0)
        {
            var end = rest.IndexOfAny(' ', ',');
            var pattern = (end < 0 ? rest : rest[..end]).Trim();
            if (pattern.Length > 0 && RoomPattern.Matches(pattern, room))
            {
                return true;
            }

            rest = end < 0 ? [] : rest[(end + 1)..];
        }

        return false;
    }
}
