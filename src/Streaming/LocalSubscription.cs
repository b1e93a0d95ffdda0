using Orleans.Runtime;

namespace WsRooms.Streaming;

/// <summary>A subscription this process made: what it needs to renew, resume and end it.</summary>
internal sealed record LocalSubscription(Guid Id, StreamId StreamId, Type ItemType, IPushStreamConsumer Consumer, IPushStreamConsumer Reference);
