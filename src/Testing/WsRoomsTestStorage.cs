namespace WsRooms.Testing;

/// <summary>What a <see cref="WsRoomsTestCluster"/>'s silos keep their state and membership in.</summary>
public enum WsRoomsTestStorage
{
    /// <summary>Memory grain storage, in-memory membership rows and the test cluster's own membership: fast, lost with the silo.</summary>
    Memory = 0,

    /// <summary>Azure Table clustering, grain state, subscriptions and rows, on Azurite unless a connection string is given.</summary>
    AzureTable = 1,
}
