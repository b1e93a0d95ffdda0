using System.Text;
using WsRooms.Edge.Sessions;
using WsRooms.Grains;

namespace WsRooms.Edge.Tests;

/// <summary>What a v2 join's payload asks for: the last N frames, every frame since a position, or nothing.</summary>
public sealed class JoinHistoryRequestTests
{
    private static JoinHistory? Parse(string payload) => JoinHistoryRequest.Parse(Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void HistoryAsksForTheLastFrames()
    {
        Assert.Equal(JoinHistory.Last(20), Parse("""{"history": 20}"""));
        Assert.Equal(JoinHistory.Last(1), Parse("""{"history":1}"""));
    }

    [Fact]
    public void HistoryIsCappedAtTheDocumentedMaximum()
    {
        Assert.Equal(JoinHistory.Last(JoinHistoryRequest.MaxCount), Parse("""{"history": 1000000000000}"""));
        Assert.Equal(1000, JoinHistoryRequest.MaxCount);
    }

    [Fact]
    public void SinceAsksForEveryFrameAfterAPosition()
    {
        Assert.Equal(JoinHistory.After(0), Parse("""{"since": 0}"""));
        Assert.Equal(JoinHistory.After(1_855_000_000_123), Parse("""{"since": 1855000000123, "app": {"x": [1]}}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2f1c0b8e-0000-8000-8000-000000000000")] // the browser client's join carries its id
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"history": 0}""")]
    [InlineData("""{"history": -3}""")]
    [InlineData("""{"history": 2.5}""")]
    [InlineData("""{"history": "5"}""")]
    [InlineData("""{"since": -1}""")]
    [InlineData("""{"history": 5, "since": 3}""")]
    [InlineData("""{"history": 5, "history": 6}""")]
    [InlineData("""{"history": 5""")]
    [InlineData("""{"history": 5} trailing""")]
    public void AnyOtherPayloadAsksForNoHistory(string payload) => Assert.Null(Parse(payload));
}
