using System.Diagnostics.Metrics;

namespace WsRooms.Grains.Observability;

/// <summary>
/// The silo's WsRooms instruments, on meter <see cref="SiloMeters.SiloMeterName"/> (the outbox has its own).
/// One meter per process: a silo is one per process outside tests.
/// </summary>
/// <remarks>
/// wsrooms.silo.rooms (UpDownCounter): room grains active on this silo. wsrooms.silo.connections (UpDownCounter):
/// connection grains active. wsrooms.silo.joins / .leaves (Counters): membership changes made.
/// wsrooms.silo.joins.refused (Counter, tag reason: room_full, too_many_rooms). wsrooms.silo.broadcasts (Counter):
/// fan-outs started (client broadcasts and server publishes). wsrooms.silo.drops (Counter, tag reason: not_member).
/// wsrooms.silo.roomlog.writes (Counter): batches durable room logs wrote; wsrooms.silo.roomlog.frames (Counter):
/// frames they stored; wsrooms.silo.roomlog.deletes (Counter): old rows they deleted.
/// </remarks>
internal static class SiloMetrics
{
    private static readonly Meter Meter = new(SiloMeters.SiloMeterName);

    private static readonly KeyValuePair<string, object?>[] RoomFullTag = [new("reason", "room_full")];
    private static readonly KeyValuePair<string, object?>[] TooManyRoomsTag = [new("reason", "too_many_rooms")];
    private static readonly KeyValuePair<string, object?>[] NotMemberTag = [new("reason", "not_member")];

    public static readonly UpDownCounter<long> Rooms = Meter.CreateUpDownCounter<long>("wsrooms.silo.rooms", "{room}", "Room grains active on this silo.");
    public static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>("wsrooms.silo.connections", "{connection}", "Connection grains active on this silo.");
    public static readonly Counter<long> Joins = Meter.CreateCounter<long>("wsrooms.silo.joins", "{join}", "Members added to rooms.");
    public static readonly Counter<long> Leaves = Meter.CreateCounter<long>("wsrooms.silo.leaves", "{leave}", "Members removed from rooms.");
    public static readonly Counter<long> Broadcasts = Meter.CreateCounter<long>("wsrooms.silo.broadcasts", "{message}", "Room fan-outs started.");
    private static readonly Counter<long> JoinsRefused = Meter.CreateCounter<long>("wsrooms.silo.joins.refused", "{join}", "Joins refused by a limit, by reason.");
    private static readonly Counter<long> Drops = Meter.CreateCounter<long>("wsrooms.silo.drops", "{message}", "Client broadcasts dropped by a room, by reason.");

    private static readonly Counter<long> RoomLogWrites = Meter.CreateCounter<long>("wsrooms.silo.roomlog.writes", "{write}", "Batches written by durable room logs.");
    private static readonly Counter<long> RoomLogFrames = Meter.CreateCounter<long>("wsrooms.silo.roomlog.frames", "{frame}", "Frames stored by durable room logs.");
    private static readonly Counter<long> RoomLogDeletes = Meter.CreateCounter<long>("wsrooms.silo.roomlog.deletes", "{frame}", "Old frames deleted from storage by durable room logs.");

    public static void RoomLogWritten(int frames, long deleted)
    {
        RoomLogWrites.Add(1);
        RoomLogFrames.Add(frames);
        RoomLogDeletes.Add(deleted);
    }

    public static void RoomFull() => JoinsRefused.Add(1, RoomFullTag);

    public static void TooManyRooms() => JoinsRefused.Add(1, TooManyRoomsTag);

    public static void BroadcastFromNonMember() => Drops.Add(1, NotMemberTag);
}
