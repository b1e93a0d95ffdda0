using Microsoft.Extensions.Options;
using WsRooms.Edge.Connections;
using WsRooms.Edge.Limits;
using WsRooms.Edge.Observability;
using WsRooms.Edge.Security;

namespace WsRooms.Edge.Tests;

/// <summary>
/// What the edge decides about a WebSocket request before the upgrade: method, upgrade, readiness and origin from
/// the request alone, then the authorization hook's answer and the connection limits.
/// </summary>
public sealed class AdmissionTests
{
    private const string Host = "edge.example:8080";

    private static AdmissionRequest Upgrade(string origin = "", string method = "GET", bool isWebSocket = true, string? host = Host) =>
        new(method, isWebSocket, origin, host);

    private static Admission? Check(AdmissionRequest request, bool ready = true, params string[] allowedOrigins) =>
        ConnectionAdmission.Check(request, new WsRoomsEdgeOptions { AllowedOrigins = [.. allowedOrigins] }, ready);

    private static (WsRoomsEdgeOptions Options, ConnectionLimiter Limiter, EdgeIdentity Identity) Edge(Action<QuotaOptions>? quotas = null)
    {
        var options = new WsRoomsEdgeOptions();
        quotas?.Invoke(options.Quotas);
        var wrapped = Options.Create(options);
        return (options, new ConnectionLimiter(wrapped), new EdgeIdentity(wrapped));
    }

    [Fact]
    public void AnUpgradeFromNoBrowserToAReadyEdgePassesTheChecks()
    {
        Assert.Null(Check(Upgrade()));
    }

    [Fact]
    public void OnlyAGetOpensAWebSocket()
    {
        var refusal = Check(Upgrade(method: "POST"));

        Assert.NotNull(refusal);
        Assert.Equal(AdmissionKind.Refused, refusal.Kind);
        Assert.Equal(405, refusal.StatusCode);
        Assert.Equal("GET", refusal.Allow);
        Assert.Null(refusal.Rejection); // not a WebSocket request at all: not counted
    }

    [Fact]
    public void AGetThatIsNotAnUpgradeIsABadRequest()
    {
        var refusal = Check(Upgrade(isWebSocket: false));

        Assert.Equal(400, refusal?.StatusCode);
        Assert.Null(refusal?.Rejection);
    }

    [Fact]
    public void AnEdgeThatIsNotReadyRefusesWith503AndRetryAfter()
    {
        var refusal = Check(Upgrade(), ready: false);

        Assert.Equal(503, refusal?.StatusCode);
        Assert.Equal("1", refusal?.RetryAfter);
        Assert.Equal(DropReasons.NotReady, refusal?.Rejection);
    }

    [Fact]
    public void ReadinessIsCheckedBeforeTheOrigin()
    {
        Assert.Equal(503, Check(Upgrade(origin: "http://evil.example"), ready: false)?.StatusCode);
    }

    [Theory]
    [InlineData("http://edge.example:8080", true)]
    [InlineData("HTTP://EDGE.EXAMPLE:8080", true)]
    [InlineData("http://edge.example", false)]       // another port is another origin
    [InlineData("http://evil.example:8080", false)]
    [InlineData("not a url", false)]
    public void ByDefaultOnlyTheEdgesOwnOriginMayConnect(string origin, bool allowed)
    {
        var refusal = Check(Upgrade(origin));

        if (allowed)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.Equal(403, refusal?.StatusCode);
            Assert.Equal(DropReasons.Origin, refusal?.Rejection);
            Assert.Equal(origin, refusal?.Detail);
        }
    }

    [Theory]
    [InlineData("https://app.example", true)]
    [InlineData("https://APP.example", true)]
    [InlineData("https://other.example", true)]
    [InlineData("http://edge.example:8080", false)] // a configured list replaces same-origin
    [InlineData("https://app.example.evil", false)]
    public void AConfiguredListNamesTheOriginsThatMayConnect(string origin, bool allowed)
    {
        var refusal = Check(Upgrade(origin), ready: true, "https://app.example/", "https://other.example");

        Assert.Equal(allowed, refusal is null);
    }

    [Fact]
    public void AStarAllowsEveryOrigin()
    {
        Assert.Null(Check(Upgrade("http://anywhere.example"), ready: true, "*"));
    }

    [Fact]
    public void ARequestWithNoHostMatchesNoOriginButStillPassesWithoutOne()
    {
        Assert.Equal(403, Check(Upgrade("http://edge.example:8080", host: null))?.StatusCode);
        Assert.Null(Check(Upgrade(host: null)));
    }

    [Fact]
    public void TheHooksRefusalIs401WithItsReasonForTheLog()
    {
        var (options, limiter, identity) = Edge();

        var refusal = ConnectionAdmission.Admit(AuthorizeResult.Deny("token expired"), "10.0.0.1", options, limiter, identity);

        Assert.Equal(AdmissionKind.Refused, refusal.Kind);
        Assert.Equal(401, refusal.StatusCode);
        Assert.Equal(DropReasons.Unauthorized, refusal.Rejection);
        Assert.Equal("token expired", refusal.Detail);
    }

    [Fact]
    public void AnAdmittedRequestCarriesTheHooksClaimsAndAFreshConnectionId()
    {
        var (options, limiter, identity) = Edge();
        var claims = new Dictionary<string, string> { ["sub"] = "alice" };

        var first = ConnectionAdmission.Admit(AuthorizeResult.Allow(claims), "10.0.0.1", options, limiter, identity);
        var second = ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.1", options, limiter, identity);

        Assert.Equal(AdmissionKind.Admitted, first.Kind);
        Assert.Same(claims, first.Claims);
        Assert.Empty(second.Claims);
        Assert.NotEqual("", first.ConnectionId);
        Assert.NotEqual(first.ConnectionId, second.ConnectionId);
        Assert.Null(first.Rejection);
    }

    [Fact]
    public void PastTheEdgesConnectionLimitTheUpgradeIsClosedAtOnceUntilASlotIsGivenBack()
    {
        var (options, limiter, identity) = Edge(q => q.MaxConnections = 1);

        var first = ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.1", options, limiter, identity);
        var second = ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.2", options, limiter, identity);

        Assert.Equal(AdmissionKind.Admitted, first.Kind);
        Assert.Equal(AdmissionKind.Closed, second.Kind);
        Assert.Equal(DropReasons.ConnectionLimit, second.Rejection);
        Assert.Equal("too many connections on this server", second.Reason);

        first.Slot.Dispose();
        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.2", options, limiter, identity).Kind);
    }

    [Fact]
    public void PerUserLimitsCountTheConfiguredClaimAndPerIpLimitsTheRemoteAddress()
    {
        var (options, limiter, identity) = Edge(q =>
        {
            q.MaxConnectionsPerUser = 1;
            q.MaxConnectionsPerIp = 2;
            q.UserClaim = "uid";
        });
        AuthorizeResult User(string id) => AuthorizeResult.Allow(new Dictionary<string, string> { ["uid"] = id });

        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(User("alice"), "10.0.0.1", options, limiter, identity).Kind);
        Assert.Equal(AdmissionKind.Closed, ConnectionAdmission.Admit(User("alice"), "10.0.0.9", options, limiter, identity).Kind);
        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(User("bob"), "10.0.0.1", options, limiter, identity).Kind);
        Assert.Equal(AdmissionKind.Closed, ConnectionAdmission.Admit(User("carol"), "10.0.0.1", options, limiter, identity).Kind);
        // Without the claim nobody is counted per user; the address still is.
        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.2", options, limiter, identity).Kind);
        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.2", options, limiter, identity).Kind);
    }

    [Fact]
    public void ARefusedHookTakesNoPlaceInTheLimits()
    {
        var (options, limiter, identity) = Edge(q => q.MaxConnections = 1);

        ConnectionAdmission.Admit(AuthorizeResult.Deny("no"), "10.0.0.1", options, limiter, identity);

        Assert.Equal(AdmissionKind.Admitted, ConnectionAdmission.Admit(AuthorizeResult.Allow(), "10.0.0.1", options, limiter, identity).Kind);
    }
}
