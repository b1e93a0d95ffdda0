namespace WsRooms.Hosting;

/// <summary>Where the cluster's membership lives: <c>WsRooms:Clustering</c>, the same on every silo and edge host.</summary>
public enum ClusteringProvider
{
    /// <summary>Loopback only, the first silo is the rendezvous (development, one machine).</summary>
    Localhost,

    /// <summary>Orleans' Azure Table membership: silos and edge hosts anywhere that reach the storage account.</summary>
    AzureStorage,
}
