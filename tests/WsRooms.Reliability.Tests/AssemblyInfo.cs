// One stack of real processes at a time: several side by side on 2 cores would measure the machine, not WsRooms.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
