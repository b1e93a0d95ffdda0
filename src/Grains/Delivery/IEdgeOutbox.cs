using WsRooms.Delivery;

namespace WsRooms.Grains.Delivery;

/// <summary>
/// The only way a grain hands something to an edge host. Keeping transport behind this one seam is what lets it be
/// measured and replaced in one place; grains never touch streams themselves.
/// </summary>
internal interface IEdgeOutbox
{
    /// <summary>
    /// Queues <paramref name="delivery"/> for edge host <paramref name="edgeId"/>. Deliveries to one edge are
    /// published in the order posted. Never blocks and never throws: returns false when the delivery was dropped
    /// (that edge's queue is full, or the silo is stopping).
    /// </summary>
    bool Post(string edgeId, EdgeDelivery delivery);
}
