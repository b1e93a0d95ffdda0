using WsRooms.Grains;

namespace WsRooms.Protocol.Tests;

/// <summary>
/// Connection ids carry the tag of their edge host (<see cref="ConnectionIds"/>) and stay what docs/protocol.md promises:
/// canonical UUID strings, unique, opaque to clients.
/// </summary>
public sealed class ConnectionIdsTests
{
    [Fact]
    public void AnIdIsACanonicalVersion8UuidThatGivesBackItsTag()
    {
        var tag = ConnectionIds.NewEdgeTag();
        var id = ConnectionIds.Create(tag);

        Assert.True(Guid.TryParseExact(id, "D", out var parsed), $"'{id}' is not a canonical UUID");
        Assert.Equal(id, parsed.ToString("D"));
        Assert.Equal(8, parsed.Version);
        Assert.Equal('8', id[14]);
        Assert.Contains(id[19], "89ab");
        Assert.True(ConnectionIds.TryGetEdgeTag(id, out var back));
        Assert.Equal(tag, back);
        Assert.True(ConnectionIds.TryGetEdgeTag(id.ToUpperInvariant(), out back));
        Assert.Equal(tag, back);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(0xABCDEF123456L)]
    [InlineData((1L << 48) - 1)]
    public void EveryTagFromOneTo48BitsRoundTrips(long tag)
    {
        Assert.True(ConnectionIds.TryGetEdgeTag(ConnectionIds.Create(tag), out var back));
        Assert.Equal(tag, back);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1L << 48)]
    public void ATagOutside48BitsIsRefused(long tag) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectionIds.Create(tag));

    [Fact]
    public void IdsOfOneEdgeShareTheTagAndDifferInTheRest()
    {
        var tag = ConnectionIds.NewEdgeTag();
        var ids = Enumerable.Range(0, 10_000).Select(_ => ConnectionIds.Create(tag)).ToArray();

        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Single(ids.Select(id => id[..13]).Distinct(StringComparer.Ordinal)); // the tag's 12 hex digits and a dash
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("00000000-0000-0000-0000-000000000000")] // no tag, and not version 8
    [InlineData("0000000000008000800000000000000")] // not the canonical form
    [InlineData("000000000000-8000-8000-000000000000")] // version 8, tag 0: none
    [InlineData("12345678-9abc-8def-c000-000000000000")] // version 8 with the wrong variant (11)
    [InlineData("{12345678-9abc-8def-8000-000000000000}")] // braces: not the canonical form
    public void StringsThatAreNotVersion8CanonicalUuidsWithATagHaveNone(string? id) =>
        Assert.False(ConnectionIds.TryGetEdgeTag(id, out _));

    [Fact]
    public void ARandomVersion4UuidHasNoTag()
    {
        for (var i = 0; i < 1_000; i++)
        {
            Assert.False(ConnectionIds.TryGetEdgeTag(Guid.NewGuid().ToString(), out _));
        }
    }

    [Fact]
    public void EdgeTagsAreRandomNonZeroAnd48Bits()
    {
        var tags = Enumerable.Range(0, 1_000).Select(_ => ConnectionIds.NewEdgeTag()).ToArray();
        Assert.All(tags, t => Assert.InRange(t, 1L, (1L << 48) - 1));
        Assert.Equal(tags.Length, tags.Distinct().Count());
    }
}
