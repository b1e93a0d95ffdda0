namespace WsRooms.Grains.RoomLogs;

/// <summary>The retention of one room's log: a frame leaves it when any limit is passed.</summary>
/// <param name="MaxFrames">The most frames kept; 0 keeps none.</param>
/// <param name="MaxAge">How long a frame is kept.</param>
/// <param name="MaxBytes">The most bytes kept (<see cref="RoomLog.SizeOf"/> per frame); 0 keeps none.</param>
/// <param name="Durable">Whether the log is also kept in storage (<see cref="DurableRoomLog"/>), surviving its silo.</param>
internal readonly record struct RoomLogLimits(int MaxFrames, TimeSpan MaxAge, long MaxBytes, bool Durable = false)
{
    /// <summary>Whether the log keeps anything at all.</summary>
    public bool KeepsFrames => MaxFrames > 0 && MaxBytes > 0;
}
