namespace WsRooms.Grains;

/// <summary>
/// What history a v2 join asks for (docs/protocol.md, "History on join"): the last <see cref="Count"/> frames logged
/// before the join, or every frame after position <see cref="Since"/> and before the join. The room posts them to the
/// joiner right after its join_ack, at their original positions, so they reach the socket before any live frame of the
/// room; when the log no longer reaches back to <c>Since + 1</c> it posts a <c>history_gone</c> error frame instead.
/// </summary>
/// <param name="Count">How many of the last frames (0: not asked by count).</param>
/// <param name="Since">The position after which to send every frame (null: not asked by position).</param>
[GenerateSerializer, Immutable, Alias("wsrooms.JoinHistory")]
public sealed record JoinHistory(
    [property: Id(0)] int Count = 0,
    [property: Id(1)] long? Since = null)
{
    /// <summary>The last <paramref name="count"/> frames before the join.</summary>
    public static JoinHistory Last(int count) => new(Count: count);

    /// <summary>Every frame after <paramref name="position"/> and before the join.</summary>
    public static JoinHistory After(long position) => new(Since: position);
}
