namespace WsRooms.Protocol.Tests;

/// <summary>The event names docs/protocol.md gives a meaning to, spelt as the wsrooms clients (roomer.js) spell them.</summary>
public sealed class EventNamesTests
{
    [Fact]
    public void TheNamesAreSpeltAsTheClientsSpellThem()
    {
        Assert.Equal("root", EventNames.RootRoom);
        Assert.Equal("join", EventNames.Join);
        Assert.Equal("leave", EventNames.Leave);
        Assert.Equal("join_ack", EventNames.JoinAck);
        Assert.Equal("leave_ack", EventNames.LeaveAck);
        Assert.Equal("new_member", EventNames.NewMember);
        Assert.Equal("member_left", EventNames.MemberLeft);
    }

    [Theory]
    [InlineData("join_ack")]
    [InlineData("leave_ack")]
    [InlineData("new_member")]
    [InlineData("member_left")]
    public void TheServersEventsAreServerOnlyAndReserved(string name)
    {
        Assert.True(EventNames.IsServerOnly(name));
        Assert.True(EventNames.IsReserved(name));
    }

    [Theory]
    [InlineData("join")]
    [InlineData("leave")]
    public void JoinAndLeaveAreReservedButAClientMaySendThem(string name)
    {
        Assert.False(EventNames.IsServerOnly(name));
        Assert.True(EventNames.IsReserved(name));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("root")]
    [InlineData("")]
    [InlineData("JOIN")]
    [InlineData("Join_Ack")]
    [InlineData("join_ack ")]
    [InlineData(" leave")]
    [InlineData("member_left\0")]
    public void OtherNamesAreNeitherServerOnlyNorReserved(string name)
    {
        Assert.False(EventNames.IsServerOnly(name));
        Assert.False(EventNames.IsReserved(name));
    }
}
