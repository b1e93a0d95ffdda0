using System.Net.WebSockets;
using System.Text;

namespace WsRooms.Protocol.Tests;

/// <summary>Each refusal closes the socket with the close code docs/protocol.md gives it.</summary>
public sealed class FrameErrorTests
{
    public static TheoryData<FrameError> EveryError => new(Enum.GetValues<FrameError>().Where(e => e != FrameError.None));

    public static TheoryData<FrameError, int> ExpectedCloseCodes => new()
    {
        { FrameError.Truncated, 1002 },
        { FrameError.TrailingBytes, 1002 },
        { FrameError.EmptyRoom, 1002 },
        { FrameError.EmptyEvent, 1002 },
        { FrameError.MessageTooLarge, 1009 },
        { FrameError.RoomTooLong, 1009 },
        { FrameError.EventTooLong, 1009 },
        { FrameError.IdTooLong, 1009 },
        { FrameError.MetaTooLong, 1009 },
        { FrameError.InvalidUtf8, 1007 },
    };

    [Theory]
    [MemberData(nameof(ExpectedCloseCodes))]
    public void EachErrorClosesWithTheCodeTheProtocolGives(FrameError error, int code)
    {
        Assert.Equal((WebSocketCloseStatus)code, error.ToCloseStatus());
    }

    [Fact]
    public void EveryErrorHasAnExpectedCloseCode()
    {
        // A new FrameError must be added to ExpectedCloseCodes, not fall through to a default silently.
        var covered = ExpectedCloseCodes.Select(row => (FrameError)row[0]).ToHashSet();

        Assert.All(Enum.GetValues<FrameError>().Where(e => e != FrameError.None), e => Assert.Contains(e, covered));
    }

    [Theory]
    [MemberData(nameof(EveryError))]
    public void EveryErrorClosesWithAMalformedSizeOrTextCode(FrameError error)
    {
        Assert.Contains(error.ToCloseStatus(), new[] { CloseCodes.MalformedFrame, CloseCodes.MessageTooBig, CloseCodes.InvalidUtf8 });
    }

    [Theory]
    [MemberData(nameof(EveryError))]
    public void EveryErrorHasAReasonThatFitsACloseFrame(FrameError error)
    {
        var reason = error.ToReason();

        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.InRange(Encoding.UTF8.GetByteCount(reason), 1, 123);
    }

    [Fact]
    public void EveryErrorHasItsOwnReason()
    {
        var reasons = Enum.GetValues<FrameError>().Select(e => e.ToReason()).ToList();

        Assert.Equal(reasons.Count, reasons.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void CloseCodesHaveTheNumbersOfTheProtocol()
    {
        Assert.Equal(1000, (int)CloseCodes.Normal);
        Assert.Equal(1001, (int)CloseCodes.ShuttingDown);
        Assert.Equal(1002, (int)CloseCodes.MalformedFrame);
        Assert.Equal(1003, (int)CloseCodes.TextMessage);
        Assert.Equal(1007, (int)CloseCodes.InvalidUtf8);
        Assert.Equal(1008, (int)CloseCodes.PolicyViolation);
        Assert.Equal(1009, (int)CloseCodes.MessageTooBig);
        Assert.Equal(1011, (int)CloseCodes.InternalError);
        Assert.Equal(1013, (int)CloseCodes.SlowConsumer);
    }

    [Fact]
    public void NoErrorMapsToANormalClose()
    {
        Assert.Equal(CloseCodes.Normal, FrameError.None.ToCloseStatus());
    }
}
