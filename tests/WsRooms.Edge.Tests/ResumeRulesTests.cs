using System.Text;
using WsRooms.Delivery;
using WsRooms.Edge.Sessions;
using WsRooms.Protocol;

namespace WsRooms.Edge.Tests;

/// <summary>A resume socket's first frame, and where a resume's deliveries go while two sockets of one session are here.</summary>
public sealed class ResumeRulesTests
{
    private static ResumeFrame Parse(string payload) => ResumeFrame.Parse(Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void TheResumeFrameNamesTheTokenTheRoomsPositionsAndTheDirectPosition()
    {
        var frame = Parse("""{"token": "abc.def", "rooms": {"lobby": 17, "b": 0}, "direct": 4}""");

        Assert.Equal("abc.def", frame.Token);
        Assert.Equal(new Dictionary<string, long> { ["lobby"] = 17, ["b"] = 0 }, frame.Rooms);
        Assert.Equal(4, frame.DirectAfter);
    }

    [Fact]
    public void RoomsAndDirectMayBeLeftOut()
    {
        var frame = Parse("""{"token": "abc.def"}""");

        Assert.Equal("abc.def", frame.Token);
        Assert.Empty(frame.Rooms);
        Assert.Null(frame.DirectAfter);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"rooms": {}}""")]
    [InlineData("""{"token": 5}""")]
    [InlineData("""{"token": "a.b", "rooms": []}""")]
    [InlineData("""{"token": "a.b", "rooms": {"x": "1"}}""")]
    [InlineData("""{"token": "a.b", "rooms": {"x": -1}}""")]
    [InlineData("""{"token": "a.b", "direct": 1.5}""")]
    [InlineData("""{"token": "a.b"} {}""")]
    public void AnyOtherPayloadIsAnUnknownToken(string payload) => Assert.Equal("", Parse(payload).Token);

    [Fact]
    public void OnlyWsroomsResumeOnRootBeginsAResumeSocket()
    {
        Assert.True(ResumeFrame.IsResumeFrame(new Message(EventNames.RootRoom, EventNames.Resume, "", "", [])));
        Assert.False(ResumeFrame.IsResumeFrame(new Message("lobby", EventNames.Resume, "", "", [])));
        Assert.False(ResumeFrame.IsResumeFrame(new Message(EventNames.RootRoom, EventNames.Join, "", "", [])));
    }

    [Theory]
    [InlineData(MembershipChange.Moved, "resuming")]
    [InlineData(MembershipChange.Replayed, "resuming")]
    [InlineData(MembershipChange.None, "current")]
    [InlineData(MembershipChange.Joined, "current")]
    [InlineData(MembershipChange.Left, "current")]
    public void WithBothSocketsHereTheMoveAndReplayGoToTheResumingOneAndTheRestToTheCurrentOne(MembershipChange change, string expected) =>
        Assert.Equal(expected, ResumeRouting.Target(change, "current", "resuming"));

    [Theory]
    [InlineData(MembershipChange.Moved)]
    [InlineData(MembershipChange.Replayed)]
    [InlineData(MembershipChange.None)]
    public void WithOneSocketHereEverythingGoesToIt(MembershipChange change)
    {
        Assert.Equal("current", ResumeRouting.Target<string>(change, "current", null));
        Assert.Equal("resuming", ResumeRouting.Target<string>(change, null, "resuming"));
        Assert.Null(ResumeRouting.Target<string>(change, null, null));
    }
}
