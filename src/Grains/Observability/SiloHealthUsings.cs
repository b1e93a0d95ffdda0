// SiloHealth.cs, in namespace WsRooms.Observability, names SiloMetrics and EdgeOutbox: it compiles here only with
// their namespaces in scope. Delete this file together with SiloHealth.cs when the health server leaves src/Grains.
global using WsRooms.Grains.Delivery;
global using WsRooms.Grains.Observability;
