using System.Net.WebSockets;

namespace WsRooms.Client;

/// <summary>The connection closed (or was never opened) while an operation needed it.</summary>
public sealed class WsRoomsConnectionClosedException : Exception
{
    public WsRoomsConnectionClosedException()
        : this(null, null)
    {
    }

    public WsRoomsConnectionClosedException(string? message)
        : this(message, null)
    {
    }

    public WsRoomsConnectionClosedException(string? message, Exception? innerException)
        : base(message ?? "The WsRooms connection is closed.", innerException)
    {
    }

    internal WsRoomsConnectionClosedException(WebSocketCloseStatus? status, string? description, Exception? innerException = null)
        : base(Describe(status, description), innerException) => CloseStatus = status;

    /// <summary>The close code the server sent; null when the connection ended without one.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    private static string Describe(WebSocketCloseStatus? status, string? description) => status is null
        ? "The WsRooms connection is closed."
        : $"The WsRooms connection is closed ({(int)status.Value}{(string.IsNullOrEmpty(description) ? "" : ": " + description)}).";
}
