using System.Text.Json.Serialization;
using WsRooms.Protocol;

namespace WsRooms.Client;

/// <summary>Source-generated JSON for the payloads the client reads whole.</summary>
[JsonSerializable(typeof(ErrorPayload))]
internal sealed partial class ErrorPayloadJson : JsonSerializerContext;
