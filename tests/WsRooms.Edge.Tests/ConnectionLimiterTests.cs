using Microsoft.Extensions.Options;
using WsRooms.Edge.Limits;

namespace WsRooms.Edge.Tests;

/// <summary>The edge host's connection slots: in total, per user and per address, and given back exactly once.</summary>
public sealed class ConnectionLimiterTests
{
    private static ConnectionLimiter Limiter(Action<QuotaOptions> configure)
    {
        var options = new WsRoomsEdgeOptions();
        configure(options.Quotas);
        return new ConnectionLimiter(Options.Create(options));
    }

    private static ConnectionLimiter.Slot Acquire(ConnectionLimiter limiter, string? user = "alice", string? ip = "10.0.0.1")
    {
        Assert.True(limiter.TryAcquire(user, ip, out var slot, out var refusal), $"refused: {refusal}");
        Assert.Equal("", refusal);
        return slot;
    }

    private static string Refusal(ConnectionLimiter limiter, string? user = "alice", string? ip = "10.0.0.1")
    {
        Assert.False(limiter.TryAcquire(user, ip, out _, out var refusal));
        return refusal;
    }

    [Fact]
    public void WithoutLimitsTheLimiterIsOff() => Assert.False(Limiter(_ => { }).Enabled);

    [Fact]
    public void AnyConnectionLimitTurnsTheLimiterOn()
    {
        Assert.True(Limiter(q => q.MaxConnections = 1).Enabled);
        Assert.True(Limiter(q => q.MaxConnectionsPerUser = 1).Enabled);
        Assert.True(Limiter(q => q.MaxConnectionsPerIp = 1).Enabled);
    }

    [Fact]
    public void TheServerRefusesTheConnectionPastItsTotal()
    {
        var limiter = Limiter(q => q.MaxConnections = 2);
        Acquire(limiter, "alice", "10.0.0.1");
        Acquire(limiter, "bob", "10.0.0.2");

        Assert.Equal("too many connections on this server", Refusal(limiter, "carol", "10.0.0.3"));
        Assert.Equal(2, limiter.Count);
    }

    [Fact]
    public void AReleasedSlotLetsTheNextConnectionIn()
    {
        var limiter = Limiter(q => q.MaxConnections = 1);
        var slot = Acquire(limiter);
        Refusal(limiter);

        slot.Dispose();

        Assert.Equal(0, limiter.Count);
        Acquire(limiter);
    }

    [Fact]
    public void ASlotDisposedTwiceIsGivenBackOnce()
    {
        var limiter = Limiter(q => q.MaxConnections = 3);
        var first = Acquire(limiter);
        Acquire(limiter);

        first.Dispose();
        first.Dispose();

        Assert.Equal(1, limiter.Count);
    }

    [Fact]
    public void EachUserIsCountedApart()
    {
        var limiter = Limiter(q => q.MaxConnectionsPerUser = 2);
        Acquire(limiter, "alice", "10.0.0.1");
        Acquire(limiter, "alice", "10.0.0.2");

        Assert.Equal("too many connections for this user", Refusal(limiter, "alice", "10.0.0.3"));
        Acquire(limiter, "bob", "10.0.0.3");
    }

    [Fact]
    public void AUserWhoseConnectionEndedMayConnectAgain()
    {
        var limiter = Limiter(q => q.MaxConnectionsPerUser = 1);
        var slot = Acquire(limiter, "alice");
        Refusal(limiter, "alice");

        slot.Dispose();

        Acquire(limiter, "alice");
    }

    [Fact]
    public void ConnectionsWithoutAUserAreNotCountedPerUser()
    {
        var limiter = Limiter(q => q.MaxConnectionsPerUser = 1);
        Acquire(limiter, user: null);
        Acquire(limiter, user: null);
        Acquire(limiter, user: "");
    }

    [Fact]
    public void EachAddressIsCountedApart()
    {
        var limiter = Limiter(q => q.MaxConnectionsPerIp = 1);
        Acquire(limiter, "alice", "10.0.0.1");

        Assert.Equal("too many connections from this address", Refusal(limiter, "bob", "10.0.0.1"));
        Acquire(limiter, "bob", "10.0.0.2");
    }

    [Fact]
    public void ConnectionsWithoutAnAddressAreNotCountedPerAddress()
    {
        var limiter = Limiter(q => q.MaxConnectionsPerIp = 1);
        Acquire(limiter, ip: null);
        Acquire(limiter, ip: null);
    }

    [Fact]
    public void ARefusedConnectionTakesNoPlaceInAnyCount()
    {
        var limiter = Limiter(q =>
        {
            q.MaxConnectionsPerUser = 1;
            q.MaxConnectionsPerIp = 1;
        });
        var alice = Acquire(limiter, "alice", "10.0.0.1");
        Assert.Equal("too many connections from this address", Refusal(limiter, "bob", "10.0.0.1"));

        alice.Dispose();

        // Had the refusal counted bob, he could not connect from another address now.
        Acquire(limiter, "bob", "10.0.0.2");
        Assert.Equal(1, limiter.Count);
    }
}
