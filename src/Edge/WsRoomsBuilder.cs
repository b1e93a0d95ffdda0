using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using WsRooms.Edge.Dispatch;
using WsRooms.Edge.Security;

namespace WsRooms.Edge;

/// <summary>Configures the edge after <see cref="WsRoomsServiceCollectionExtensions.AddWsRooms"/>: handlers and the authorization hook.</summary>
public sealed class WsRoomsBuilder
{
    internal WsRoomsBuilder(IServiceCollection services, HandlerRegistry handlers)
    {
        Services = services;
        Handlers = handlers;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    internal HandlerRegistry Handlers { get; }

    /// <summary>
    /// Runs <paramref name="handler"/> for every client frame with event <paramref name="eventName"/> (and no dst).
    /// Throws on an empty name, a null handler, a name already taken or a name the protocol reserves (join, leave,
    /// join_ack, leave_ack, new_member, member_left).
    /// </summary>
    public WsRoomsBuilder AddHandler(string eventName, MessageHandler handler)
    {
        Handlers.Add(eventName, handler);
        return this;
    }

    /// <summary>Sets the authorization hook, asked before every upgrade (a refusal is answered 401).</summary>
    public WsRoomsBuilder UseAuthorization(WsRoomsAuthorize authorize)
    {
        ArgumentNullException.ThrowIfNull(authorize);
        Services.Replace(ServiceDescriptor.Singleton(authorize));
        return this;
    }

    /// <summary>
    /// Replaces the room authorizer (default: <see cref="ClaimsRoomAuthorizer"/>, rules from <c>WsRooms:Rooms</c>):
    /// asked before every client join and broadcast; server-side calls are not subject to it.
    /// </summary>
    public WsRoomsBuilder UseRoomAuthorizer(IRoomAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        Services.Replace(ServiceDescriptor.Singleton(authorizer));
        return this;
    }

    /// <summary>Replaces the room authorizer with one of type <typeparamref name="T"/>, built from the application's services.</summary>
    public WsRoomsBuilder UseRoomAuthorizer<T>()
        where T : class, IRoomAuthorizer
    {
        Services.Replace(ServiceDescriptor.Singleton<IRoomAuthorizer, T>());
        return this;
    }

    /// <summary>Sets an authorization hook built from the application's services.</summary>
    public WsRoomsBuilder UseAuthorization(Func<IServiceProvider, WsRoomsAuthorize> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }
}
