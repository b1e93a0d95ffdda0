using WsRooms.Edge.Limits;

namespace WsRooms.Edge.Connections;

/// <summary>What <see cref="ConnectionAdmission"/> decided for one request to the WebSocket path.</summary>
internal enum AdmissionKind
{
    /// <summary>Answered with an HTTP status instead of the upgrade.</summary>
    Refused,

    /// <summary>
    /// Upgraded only to be closed at once with 1008 and <see cref="Admission.Reason"/>: a browser never sees an
    /// upgrade's HTTP status, but it does see a close frame's reason.
    /// </summary>
    Closed,

    /// <summary>Upgraded, and the connection runs.</summary>
    Admitted,
}

/// <summary>
/// The outcome of the checks before the upgrade: a refusal (its status, text and headers), an upgrade that is only
/// to be closed (its reason), or an admitted request (its connection id, claims and place in the connection limits).
/// </summary>
internal sealed class Admission
{
    private static readonly IReadOnlyDictionary<string, string> NoClaims = new Dictionary<string, string>();

    private Admission(AdmissionKind kind, int statusCode, string reason, string? rejection, string detail)
    {
        Kind = kind;
        StatusCode = statusCode;
        Reason = reason;
        Rejection = rejection;
        Detail = detail;
    }

    public AdmissionKind Kind { get; }

    /// <summary>The HTTP status of a refusal (101 otherwise).</summary>
    public int StatusCode { get; }

    /// <summary>A refusal's response text, or the close reason of an upgrade that is closed at once.</summary>
    public string Reason { get; }

    /// <summary>The <c>reason</c> tag counted on <c>wsrooms.edge.rejections</c>; null for what is not counted (not a WebSocket upgrade at all).</summary>
    public string? Rejection { get; }

    /// <summary>For the log: the refused origin, why the authorization hook refused, or which limit closed it.</summary>
    public string Detail { get; }

    /// <summary>The <c>Allow</c> header of a 405.</summary>
    public string? Allow { get; private init; }

    /// <summary>The <c>Retry-After</c> header (seconds) of a 503.</summary>
    public string? RetryAfter { get; private init; }

    /// <summary>The admitted connection's id: unique across the cluster, and naming this edge host to it.</summary>
    public string ConnectionId { get; private init; } = "";

    /// <summary>What the authorization hook said about the admitted client.</summary>
    public IReadOnlyDictionary<string, string> Claims { get; private init; } = NoClaims;

    /// <summary>The admitted connection's place in the connection limits; the runner gives it back when the connection ends.</summary>
    public ConnectionLimiter.Slot Slot { get; private init; }

    public static Admission Refuse(int statusCode, string text, string? rejection = null, string detail = "", string? allow = null, string? retryAfter = null) =>
        new(AdmissionKind.Refused, statusCode, text, rejection, detail) { Allow = allow, RetryAfter = retryAfter };

    public static Admission CloseAtOnce(string reason, string rejection) =>
        new(AdmissionKind.Closed, 101, reason, rejection, reason);

    public static Admission Admit(string connectionId, IReadOnlyDictionary<string, string> claims, ConnectionLimiter.Slot slot) =>
        new(AdmissionKind.Admitted, 101, "", null, "") { ConnectionId = connectionId, Claims = claims, Slot = slot };
}
