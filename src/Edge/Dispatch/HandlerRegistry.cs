using System.Collections.Frozen;
using WsRooms.Protocol;

namespace WsRooms.Edge.Dispatch;

/// <summary>
/// The server-side handlers by event name. Filled at start-up through
/// <see cref="WsRoomsBuilder.AddHandler"/>, read-only once the host runs.
/// </summary>
internal sealed class HandlerRegistry
{
    private readonly Dictionary<string, MessageHandler> _handlers = new(StringComparer.Ordinal);
    private FrozenDictionary<string, MessageHandler>? _frozen;

    public void Add(string eventName, MessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(handler);
        if (_frozen is not null)
        {
            throw new InvalidOperationException("Handlers are registered at start-up; the edge host is already running.");
        }

        if (eventName.Length == 0)
        {
            throw new ArgumentException("A handler needs an event name; the empty name is not one.", nameof(eventName));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(eventName) > FrameLimits.Default.MaxEventBytes)
        {
            throw new ArgumentException($"Event name '{eventName}' is longer than the protocol's {FrameLimits.Default.MaxEventBytes} bytes.", nameof(eventName));
        }

        if (EventNames.IsReserved(eventName))
        {
            throw new ArgumentException($"'{eventName}' is reserved by the protocol and cannot have a handler.", nameof(eventName));
        }

        if (!_handlers.TryAdd(eventName, handler))
        {
            throw new InvalidOperationException($"A handler for event '{eventName}' is already registered.");
        }
    }

    public bool TryGet(string eventName, out MessageHandler handler)
    {
        _frozen ??= _handlers.ToFrozenDictionary(StringComparer.Ordinal);
        return _frozen.TryGetValue(eventName, out handler!);
    }
}
