using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WsRooms.LoadGen;

// WsRooms.LoadGen <scenario> [options]: one scenario against one server, one JSON line appended to --out.
// bench/run.sh drives it; `--help` lists the options.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("loadgen: " + e.Message);
    return 2;
}

// Every run is bounded in time: the token stops the scenario, and a watchdog ends the process if that hangs.
using var timeout = new CancellationTokenSource(options.Timeout);
_ = Task.Delay(options.Timeout + TimeSpan.FromSeconds(15)).ContinueWith(_ =>
{
    Console.Error.WriteLine($"loadgen: {options.Scenario} did not end within {options.Timeout}; exiting");
    Environment.Exit(3);
}, TaskScheduler.Default);

var meter = new ProcessMeter(options.Pids);
Console.Error.WriteLine($"loadgen: {options.Scenario} against {options.Protocol} [{options.Label}] at {string.Join(", ", options.Urls)}");
JsonObject result;
try
{
    result = await new Scenarios(options, meter).RunAsync(timeout.Token);
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync($"loadgen: {options.Scenario} timed out after {options.Timeout}");
    return 3;
}

result["scenario"] = options.Scenario;
result["target"] = options.Protocol;
result["label"] = options.Label;
result["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;
result["cores"] = Environment.ProcessorCount;
var line = result.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
Console.WriteLine(line);
if (options.Out is not null)
{
    await File.AppendAllTextAsync(options.Out, line + "\n");
}

return 0;

/// <summary>The command line of the generator.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        WsRooms.LoadGen <fanout|fanout-max|direct|connect|churn> [options]
          --protocol wsrooms|wsrooms-v2|socketio
                                        which protocol to speak (default wsrooms: v1; wsrooms-v2: the wsrooms.v2 subprotocol)
          --url URL                     ws:// endpoint; repeat to spread clients round-robin over edges
          --pid NAME=PID                a server process to meter (CPU, RSS); repeatable
          --label TEXT                  the topology, copied into the result
          --out FILE                    append the JSON result line here
          --rooms R --members M --publishers P --rate MSG/S --size BYTES --duration S --warmup S
          --start-rate MSG/S --step-factor F --step-duration S --max-steps N --p99-limit-ms MS --loss-limit RATIO
          --pairs N (direct)  --connections N --concurrency C --idle-settle S --warmup-rounds N (connect)  --clients N (churn)
          --timeout S                   hard bound on the whole run (default 300)
        """;

    public string Scenario { get; private set; } = "";
    public string Protocol { get; private set; } = "wsrooms";
    public List<Uri> Urls { get; } = [];
    public List<(string Name, int Pid)> Pids { get; } = [];
    public string Label { get; private set; } = "";
    public string? Out { get; private set; }
    public int Rooms { get; private set; } = 1;
    public int Members { get; private set; } = 10;
    public int Publishers { get; private set; } = 1;
    public double Rate { get; private set; } = 100;
    public int Size { get; private set; } = 256;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);
    public double StartRate { get; private set; } = 20;
    public double StepFactor { get; private set; } = 1.2;
    public TimeSpan StepDuration { get; private set; } = TimeSpan.FromSeconds(4);
    public int MaxSteps { get; private set; } = 20;
    public double P99LimitMs { get; private set; } = 50;
    public double LossLimit { get; private set; } = 0.001;
    public int Pairs { get; private set; } = 100;
    public int Connections { get; private set; } = 1000;
    public int Concurrency { get; private set; } = 100;
    public TimeSpan IdleSettle { get; private set; } = TimeSpan.FromSeconds(3);

    /// <summary>connect: rounds of up to 200 connections opened and closed before the measured run.</summary>
    public int WarmupRounds { get; private set; } = 3;
    public int Clients { get; private set; } = 100;
    public TimeSpan DrainQuiet { get; private set; } = TimeSpan.FromSeconds(1);
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(300);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions { Scenario = args[0] };
        if (o.Scenario is not ("fanout" or "fanout-max" or "direct" or "connect" or "churn"))
        {
            throw new ArgumentException("unknown scenario " + o.Scenario);
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException(args[i] + " needs a value");
            }

            var v = args[i + 1];
            switch (args[i])
            {
                case "--protocol": o.Protocol = v is "wsrooms" or "wsrooms-v2" or "socketio" ? v : throw new ArgumentException("--protocol wsrooms|wsrooms-v2|socketio"); break;
                case "--url": o.Urls.Add(new Uri(v)); break;
                case "--pid":
                    var parts = v.Split('=', 2);
                    o.Pids.Add((parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture)));
                    break;
                case "--label": o.Label = v; break;
                case "--out": o.Out = v; break;
                case "--rooms": o.Rooms = Positive(v); break;
                case "--members": o.Members = Positive(v); break;
                case "--publishers": o.Publishers = Positive(v); break;
                case "--rate": o.Rate = Number(v); break;
                case "--size": o.Size = Math.Max(Payload.MinSize, Positive(v)); break;
                case "--duration": o.Duration = Seconds(v); break;
                case "--warmup": o.Warmup = Seconds(v); break;
                case "--start-rate": o.StartRate = Number(v); break;
                case "--step-factor": o.StepFactor = Number(v); break;
                case "--step-duration": o.StepDuration = Seconds(v); break;
                case "--max-steps": o.MaxSteps = Positive(v); break;
                case "--p99-limit-ms": o.P99LimitMs = Number(v); break;
                case "--loss-limit": o.LossLimit = Number(v); break;
                case "--pairs": o.Pairs = Positive(v); break;
                case "--connections": o.Connections = Positive(v); break;
                case "--concurrency": o.Concurrency = Positive(v); break;
                case "--idle-settle": o.IdleSettle = Seconds(v); break;
                case "--warmup-rounds": o.WarmupRounds = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--clients": o.Clients = Positive(v); break;
                case "--drain-quiet": o.DrainQuiet = Seconds(v); break;
                case "--timeout": o.Timeout = Seconds(v); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        if (o.Urls.Count == 0)
        {
            throw new ArgumentException("--url is required");
        }

        if (o.Scenario == "fanout-max")
        {
            o.Rate = o.StartRate;
        }

        return o;
    }

    private static int Positive(string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException("not a positive number: " + v);

    private static double Number(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException("not a positive number: " + v);

    private static TimeSpan Seconds(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 ? TimeSpan.FromSeconds(n) : throw new ArgumentException("not a number of seconds: " + v);
}
