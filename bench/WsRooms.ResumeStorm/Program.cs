using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using WsRooms.Client;
using WsRooms.Protocol;
using WsRooms.ResumeStorm;

// WsRooms.ResumeStorm: opens --sessions v2 sessions on edge A, each in one of --rooms rooms, with one publisher per
// room on edge B; kills edge A (SIGKILL); every session resumes on edge B. Prints one JSON line: how long until all
// had resumed, how many did, and what the members lost or received twice of what was published meanwhile.
// bench/resume-storm.sh drives it; `--help` lists the options.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(StormOptions.Usage);
    return 0;
}

StormOptions options;
try
{
    options = StormOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("resume-storm: " + e.Message);
    return 2;
}

// Bounded in time whatever happens: a watchdog ends the process.
_ = Task.Delay(options.Timeout + options.Settle + options.After + TimeSpan.FromMinutes(3)).ContinueWith(_ =>
{
    Console.Error.WriteLine("resume-storm: did not end in time; exiting");
    Environment.Exit(3);
}, TaskScheduler.Default);

var sourceIndex = 0;
using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    UseCookies = false,
    AllowAutoRedirect = false,
    // Past one source address's ephemeral ports, spread the sockets over 127.0.0.1..K.
    ConnectCallback = async (context, cancellationToken) =>
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (options.SourceAddresses > 1)
            {
                var n = (Interlocked.Increment(ref sourceIndex) % options.SourceAddresses) + 1;
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0." + n.ToString(CultureInfo.InvariantCulture)), 0));
            }

            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    },
});

var members = new StormMember[options.Sessions];
var clients = new WsRoomsClient[options.Sessions];
var publishers = new WsRoomsClient[options.Rooms];
var published = new int[options.Rooms];
var publishFailures = 0L;
var resumedCount = 0;
var killedAt = 0L;
var allResumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

WsRoomsClientOptions MemberOptions(StormMember member) => new()
{
    HttpInvoker = invoker,
    // A small receive buffer: thousands of clients in one process, and no frame here is large.
    Limits = new FrameLimits { MaxMessageBytes = 8192 },
    ReceiveQueueCapacity = 16,
    OnMessage = member.OnMessage,
    ResumeUris = [options.EdgeA, options.EdgeB],
    ConfigureWebSocket = o => o.KeepAliveInterval = TimeSpan.Zero,
    OnResumed = r =>
    {
        member.ResumedAt = Stopwatch.GetTimestamp();
        member.Resumed = r.Resumed;
        member.Attempts = r.Attempts;
        if (Interlocked.Increment(ref resumedCount) == options.Sessions)
        {
            allResumed.TrySetResult();
        }
    },
};

string RoomName(int r) => "storm-" + r.ToString(CultureInfo.InvariantCulture);

async Task ForEachAsync(int count, Func<int, Task> action)
{
    using var gate = new SemaphoreSlim(options.Concurrency);
    var tasks = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        await gate.WaitAsync();
        var index = i;
        tasks.Add(Task.Run(async () =>
        {
            try
            {
                await action(index);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    await Task.WhenAll(tasks);
}

var exitCode = 0;
try
{
    var setup = Stopwatch.StartNew();
    await ForEachAsync(options.Sessions, async i =>
    {
        members[i] = new StormMember(i % options.Rooms);
        clients[i] = await WsRoomsClient.ConnectAsync(options.EdgeA, MemberOptions(members[i]));
        if (clients[i].Protocol != ProtocolVersion.V2)
        {
            throw new InvalidOperationException("edge A did not select wsrooms.v2");
        }

        await clients[i].JoinAsync(RoomName(members[i].Room));
    });
    await ForEachAsync(options.Rooms, async r =>
    {
        publishers[r] = await WsRoomsClient.ConnectAsync(options.EdgeB, new WsRoomsClientOptions { HttpInvoker = invoker, ReceiveQueueCapacity = 16, OnMessage = (_, _) => ValueTask.CompletedTask });
        await publishers[r].JoinAsync(RoomName(r));
    });
    Console.Error.WriteLine($"resume-storm: {options.Sessions} sessions on {options.EdgeA} in {options.Rooms} rooms, {options.Rooms} publishers on {options.EdgeB}, in {setup.Elapsed.TotalSeconds:F1} s");

    using var stopPublishing = new CancellationTokenSource();
    var publishing = Enumerable.Range(0, options.Rooms).Select(r => Task.Run(async () =>
    {
        var interval = TimeSpan.FromSeconds(1 / options.Rate);
        // Spread over one interval, so the rooms do not publish in one burst.
        await Task.Delay(TimeSpan.FromSeconds(Random.Shared.NextDouble() * interval.TotalSeconds));
        var seq = 0;
        while (!stopPublishing.IsCancellationRequested)
        {
            try
            {
                // Acknowledged: once it returns the frame is in the room's log, so every member must get it.
                await publishers[r].PublishAsync(RoomName(r), StormMember.DataEvent, seq.ToString(CultureInfo.InvariantCulture));
                seq++;
                Volatile.Write(ref published[r], seq);
            }
            catch (Exception e) when (e is WsRoomsErrorException or WsRoomsConnectionClosedException)
            {
                Interlocked.Increment(ref publishFailures);
                break;
            }

            try
            {
                await Task.Delay(interval, stopPublishing.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    })).ToArray();

    await Task.Delay(options.Settle);
    using (var edgeA = Process.GetProcessById(options.KillPid))
    {
        killedAt = Stopwatch.GetTimestamp();
        edgeA.Kill(); // SIGKILL: no drain, no close frames
    }

    Console.Error.WriteLine($"resume-storm: killed edge A (PID {options.KillPid})");
    var finished = await Task.WhenAny(allResumed.Task, Task.Delay(options.Timeout)) == allResumed.Task;
    var stormSeconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
    Console.Error.WriteLine($"resume-storm: {Volatile.Read(ref resumedCount)} of {options.Sessions} resumed after {stormSeconds:F2} s");

    await Task.Delay(options.After);
    await stopPublishing.CancelAsync();
    await Task.WhenAll(publishing);

    // Drain: until every member has every acknowledged publish of its room, or nothing more arrives for 5 s.
    var quietSince = Stopwatch.GetTimestamp();
    var lastDistinct = -1L;
    while (Stopwatch.GetElapsedTime(quietSince) < TimeSpan.FromSeconds(5))
    {
        var distinct = members.Sum(m => (long)m.Distinct);
        if (members.All(m => m.Distinct >= Volatile.Read(ref published[m.Room])))
        {
            break;
        }

        if (distinct != lastDistinct)
        {
            lastDistinct = distinct;
            quietSince = Stopwatch.GetTimestamp();
        }

        await Task.Delay(50);
    }

    var times = members.Where(m => m.ResumedAt != 0).Select(m => Stopwatch.GetElapsedTime(killedAt, m.ResumedAt).TotalSeconds).Order().ToArray();
    double Percentile(double p) => times.Length == 0 ? 0 : times[Math.Min(times.Length - 1, (int)Math.Ceiling(p / 100 * times.Length) - 1)];
    var expected = members.Sum(m => (long)published[m.Room]);
    var received = members.Sum(m => (long)m.Distinct);
    var result = new JsonObject
    {
        ["scenario"] = "resume-storm",
        ["sessions"] = options.Sessions,
        ["rooms"] = options.Rooms,
        ["publish_rate_per_room"] = options.Rate,
        ["all_resumed"] = finished,
        ["resumed_same_session"] = members.Count(m => m.ResumedAt != 0 && m.Resumed),
        ["resumed_as_new_session"] = members.Count(m => m.ResumedAt != 0 && !m.Resumed),
        ["not_resumed"] = members.Count(m => m.ResumedAt == 0),
        ["seconds_until_all_resumed"] = finished ? Math.Round(times[^1], 3) : null,
        ["resume_seconds"] = new JsonObject
        {
            ["p50"] = Math.Round(Percentile(50), 3),
            ["p90"] = Math.Round(Percentile(90), 3),
            ["p99"] = Math.Round(Percentile(99), 3),
            ["max"] = times.Length == 0 ? 0 : Math.Round(times[^1], 3),
        },
        ["attempts_max"] = members.Max(m => m.Attempts),
        ["attempts_mean"] = Math.Round(members.Where(m => m.Attempts > 0).Select(m => (double)m.Attempts).DefaultIfEmpty().Average(), 2),
        ["published"] = published.Sum(),
        ["expected_deliveries"] = expected,
        ["delivered"] = received,
        ["lost"] = expected - received,
        ["doubled"] = members.Sum(m => (long)m.Doubled),
        ["out_of_order"] = members.Sum(m => (long)m.OutOfOrder),
        ["publish_failures"] = publishFailures,
        ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
        ["cores"] = Environment.ProcessorCount,
    };
    var line = result.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    Console.WriteLine(line);
    if (options.Out is not null)
    {
        await File.AppendAllTextAsync(options.Out, line + "\n");
    }

    exitCode = finished && expected == received ? 0 : 1;
}
finally
{
    // Closes end the sessions (nothing of this run lingers in the cluster); each is bounded in time.
    await Task.WhenAll(clients.Concat(publishers).Where(c => c is not null).Select(c => c.DisposeAsync().AsTask()).Select(t => t.WaitAsync(TimeSpan.FromSeconds(10))).Select(async t =>
    {
        try
        {
            await t;
        }
        catch (TimeoutException)
        {
        }
    }));
}

return exitCode;
