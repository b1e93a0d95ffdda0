namespace WsRooms.Silo.Configuration;

/// <summary>Where grain state and membership rows live: <c>WsRooms:GrainStorage</c>.</summary>
public enum GrainStorageProvider
{
    /// <summary>In the silo's memory: lost when the silo stops (development, tests).</summary>
    Memory,

    /// <summary>Azure Table storage: survives the death of any silo, and of all of them.</summary>
    AzureTable,
}
