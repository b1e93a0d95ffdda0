using Microsoft.Extensions.DependencyInjection;
using WsRooms.Edge;
using WsRooms.Edge.Dispatch;
using WsRooms.Protocol;

namespace WsRooms.EndToEnd.Tests;

/// <summary>RegisterHandler's rules: a bad registration fails at start-up with a clear error, not at the first frame.</summary>
public sealed class HandlerRegistrationTests
{
    private static readonly MessageHandler Nothing = (_, _, _) => ValueTask.CompletedTask;

    [Fact]
    public void AnEmptyEventNameIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWsRooms().AddHandler("", Nothing));
        Assert.Contains("event name", error.Message);
    }

    [Fact]
    public void ANullHandlerIsRefused() =>
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddWsRooms().AddHandler("chat", null!));

    [Fact]
    public void ASecondHandlerForTheSameEventIsRefused()
    {
        var edge = new ServiceCollection().AddWsRooms().AddHandler("chat", Nothing);
        var error = Assert.Throws<InvalidOperationException>(() => edge.AddHandler("chat", Nothing));
        Assert.Contains("already registered", error.Message);
    }

    [Fact]
    public void ADuplicateIsRefusedAlsoAcrossAddWsRoomsCalls()
    {
        var services = new ServiceCollection();
        services.AddWsRooms().AddHandler("chat", Nothing);
        Assert.Throws<InvalidOperationException>(() => services.AddWsRooms().AddHandler("chat", Nothing));
    }

    [Theory]
    [InlineData(EventNames.Join)]
    [InlineData(EventNames.Leave)]
    [InlineData(EventNames.JoinAck)]
    [InlineData(EventNames.LeaveAck)]
    [InlineData(EventNames.NewMember)]
    [InlineData(EventNames.MemberLeft)]
    public void AReservedEventNameIsRefused(string reserved)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWsRooms().AddHandler(reserved, Nothing));
        Assert.Contains("reserved", error.Message);
    }

    [Fact]
    public void AnEventNameLongerThanTheProtocolAllowsIsRefused() =>
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWsRooms().AddHandler(new string('e', 65), Nothing));
}
