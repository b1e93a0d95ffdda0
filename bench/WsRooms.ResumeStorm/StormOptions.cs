using System.Globalization;

namespace WsRooms.ResumeStorm;

/// <summary>The command line of the resume-storm benchmark.</summary>
internal sealed class StormOptions
{
    public const string Usage = """
        WsRooms.ResumeStorm --edge-a URL --edge-b URL --kill-pid PID [options]
          --sessions N          v2 sessions opened on edge A (default 5000)
          --rooms R             rooms they are spread over; one publisher per room on edge B (default 100)
          --rate MSG/S          acknowledged publishes per room per second, before, during and after the storm (default 1)
          --concurrency C       connects and joins at once while setting up (default 100)
          --source-addresses K  spread the sessions over source addresses 127.0.0.1..K (default 1)
          --settle S            publishing before the kill (default 2)
          --after S             publishing after the last resume (default 2)
          --timeout S           longest wait for every session to resume (default 60)
          --out FILE            append the JSON result line here
        """;

    public Uri EdgeA { get; private set; } = null!;
    public Uri EdgeB { get; private set; } = null!;
    public int KillPid { get; private set; }
    public int Sessions { get; private set; } = 5000;
    public int Rooms { get; private set; } = 100;
    public double Rate { get; private set; } = 1;
    public int Concurrency { get; private set; } = 100;
    public int SourceAddresses { get; private set; } = 1;
    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(2);
    public TimeSpan After { get; private set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(60);
    public string? Out { get; private set; }

    public static StormOptions Parse(string[] args)
    {
        var o = new StormOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException(args[i] + " needs a value");
            }

            var v = args[i + 1];
            switch (args[i])
            {
                case "--edge-a": o.EdgeA = new Uri(v); break;
                case "--edge-b": o.EdgeB = new Uri(v); break;
                case "--kill-pid": o.KillPid = Positive(v); break;
                case "--sessions": o.Sessions = Positive(v); break;
                case "--rooms": o.Rooms = Positive(v); break;
                case "--rate": o.Rate = Seconds(v) > TimeSpan.Zero ? Seconds(v).TotalSeconds : throw new ArgumentException("--rate must be positive"); break;
                case "--concurrency": o.Concurrency = Positive(v); break;
                case "--source-addresses": o.SourceAddresses = Math.Min(254, Positive(v)); break;
                case "--settle": o.Settle = Seconds(v); break;
                case "--after": o.After = Seconds(v); break;
                case "--timeout": o.Timeout = Seconds(v); break;
                case "--out": o.Out = v; break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        if (o.EdgeA is null || o.EdgeB is null || o.KillPid == 0)
        {
            throw new ArgumentException("--edge-a, --edge-b and --kill-pid are required");
        }

        return o;
    }

    private static int Positive(string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException("not a positive number: " + v);

    private static TimeSpan Seconds(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 ? TimeSpan.FromSeconds(n) : throw new ArgumentException("not a number of seconds: " + v);
}
