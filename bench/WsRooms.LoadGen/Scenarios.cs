using System.Diagnostics;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace WsRooms.LoadGen;

/// <summary>One publisher: a client, what it sends to (a room or a connection id) and how many should receive each message.</summary>
internal sealed record Publisher(BenchClient Client, int SenderId, string Target, bool Direct, int Recipients);

/// <summary>
/// The scenarios bench/run.sh runs (bench/README.md). Each is bounded in count (connections, steps) and in time (durations, drain waits,
/// and the whole run by <see cref="BenchOptions.Timeout"/>).
/// </summary>
internal sealed class Scenarios(BenchOptions options, ProcessMeter meter)
{
    private readonly DeliveryStats _stats = new();
    private readonly List<BenchClient> _clients = [];

    public async Task<JsonObject> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return options.Scenario switch
            {
                "fanout" => await FanoutAsync(cancellationToken).ConfigureAwait(false),
                "fanout-max" => await FanoutMaxAsync(cancellationToken).ConfigureAwait(false),
                "direct" => await DirectAsync(cancellationToken).ConfigureAwait(false),
                "connect" => await ConnectAsync(cancellationToken).ConfigureAwait(false),
                "churn" => await ChurnAsync(cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentException("unknown scenario " + options.Scenario),
            };
        }
        finally
        {
            await Task.WhenAll(_clients.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        }
    }

    // ----- fanout: R rooms × M members, P publishers per room at a fixed rate -----

    private async Task<JsonObject> FanoutAsync(CancellationToken cancellationToken)
    {
        var publishers = await SetUpRoomsAsync(cancellationToken).ConfigureAwait(false);
        await WarmUpAsync(publishers, cancellationToken).ConfigureAwait(false);
        var result = await RunPhaseAsync(2, publishers, options.Rate, options.Duration, cancellationToken).ConfigureAwait(false);
        return Describe(result);
    }

    // ----- fanout-max: ramp the rate until p99 > limit or loss > limit -----

    private async Task<JsonObject> FanoutMaxAsync(CancellationToken cancellationToken)
    {
        var publishers = await SetUpRoomsAsync(cancellationToken).ConfigureAwait(false);
        await WarmUpAsync(publishers, cancellationToken).ConfigureAwait(false);
        var steps = new JsonArray();
        JsonObject? best = null;
        var rate = options.StartRate;
        for (var step = 0; step < options.MaxSteps && !cancellationToken.IsCancellationRequested; step++)
        {
            PhaseResult phase;
            double p99, lossRatio;
            bool pass;
            var attempt = 0;
            do
            {
                // A failed step is tried once more at the same rate: on a 2-core machine shared with other work, one
                // burst of someone else's CPU must not end the ramp (both targets get the same second chance).
                phase = await RunPhaseAsync(3 + (2 * step) + attempt, publishers, rate, options.StepDuration, cancellationToken).ConfigureAwait(false);
                p99 = phase.Snapshot.Percentile(99);
                lossRatio = phase.Expected == 0 ? 0 : (double)phase.Lost / phase.Expected;
                pass = p99 <= options.P99LimitMs && lossRatio <= options.LossLimit && phase.AchievedRate >= rate * 0.9;
            }
            while (!pass && ++attempt <= 1 && !cancellationToken.IsCancellationRequested);

            var row = Describe(phase);
            row["attempts"] = attempt + (pass ? 1 : 0);
            row["pass"] = pass;
            row["why"] = pass ? "" : $"p99 {p99:F1} ms, loss {lossRatio:P3}, offered {phase.AchievedRate:F0}/{rate:F0} msg/s";
            steps.Add(row);
            Console.Error.WriteLine($"  step {step}: {rate:F0} msg/s/publisher → {phase.DeliveriesPerSecond:F0} deliveries/s, p99 {p99:F2} ms, loss {lossRatio:P3}, server {phase.ServerCpuMicrosPerDelivery:F2} µs/delivery {(pass ? "ok" : "FAIL")}");
            if (!pass)
            {
                break;
            }

            best = row.DeepClone().AsObject();
            rate *= options.StepFactor;
        }

        var result = best ?? new JsonObject { ["deliveries_per_s"] = 0, ["rooms"] = options.Rooms, ["members"] = options.Members };
        result["scenario"] = "fanout-max";
        result["steps"] = steps;
        result["limits"] = new JsonObject { ["p99_ms"] = options.P99LimitMs, ["loss"] = options.LossLimit };
        return result;
    }

    // ----- direct: N pairs, each sending to the other by id -----

    private async Task<JsonObject> DirectAsync(CancellationToken cancellationToken)
    {
        var clients = await ConnectManyAsync(options.Pairs * 2, options.Concurrency, cancellationToken).ConfigureAwait(false);
        var publishers = clients.Select((c, i) => new Publisher(c, i, clients[i ^ 1].Id, true, 1)).ToArray();
        await WarmUpAsync(publishers, cancellationToken).ConfigureAwait(false);
        var result = await RunPhaseAsync(2, publishers, options.Rate, options.Duration, cancellationToken).ConfigureAwait(false);
        return Describe(result);
    }

    // ----- connect: N connections at concurrency C -----

    private async Task<JsonObject> ConnectAsync(CancellationToken cancellationToken)
    {
        // Warm both sides' code paths first, then let the servers settle, so the figures are of the steady state.
        // Several rounds with pauses, because .NET's tiered JIT promotes a hot method only after its call counting
        // starts, which waits until no new code has been compiled for 100 ms, and then needs two more compilations
        // (instrumented, then optimized): with one round the measured run would pay for the servers' tier-1
        // compilations instead of their steady state. The Socket.IO peer gets the same rounds (V8 tiers up too).
        for (var round = 0; round < options.WarmupRounds; round++)
        {
            var warm = await ConnectManyAsync(Math.Min(200, options.Connections), options.Concurrency, cancellationToken).ConfigureAwait(false);
            foreach (var c in warm)
            {
                _clients.Remove(c);
            }

            await Task.WhenAll(warm.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);

        var before = meter.Take();
        var started = Stopwatch.GetTimestamp();
        var clients = await ConnectManyAsync(options.Connections, options.Concurrency, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var connected = meter.Take();
        await Task.Delay(options.IdleSettle, cancellationToken).ConfigureAwait(false);
        var idle = meter.Take();

        var memory = new JsonObject();
        foreach (var (name, _) in meter.Servers)
        {
            var grown = idle.RssBytes[name] - before.RssBytes[name];
            memory[name] = new JsonObject
            {
                ["rss_before_mb"] = Math.Round(before.RssBytes[name] / 1048576.0, 1),
                ["rss_idle_mb"] = Math.Round(idle.RssBytes[name] / 1048576.0, 1),
                ["bytes_per_connection"] = Math.Round((double)grown / clients.Length),
            };
        }

        return new JsonObject
        {
            ["scenario"] = "connect",
            ["connections"] = clients.Length,
            ["concurrency"] = options.Concurrency,
            ["seconds_until_every_root_ack"] = Math.Round(elapsed, 3),
            ["connects_per_s"] = Math.Round(clients.Length / elapsed),
            ["memory"] = memory,
            ["cpu"] = meter.CpuBetween(before, connected, out var serverCpu),
            ["server_cpu_us_per_connect"] = Math.Round(serverCpu * 1e6 / clients.Length, 1),
        };
    }

    // ----- churn: join / leave in a loop -----

    private async Task<JsonObject> ChurnAsync(CancellationToken cancellationToken)
    {
        var clients = await ConnectManyAsync(options.Clients, options.Concurrency, cancellationToken).ConfigureAwait(false);
        var joinLatency = new LongHistogram(60_000_000, 3);
        var leaveLatency = new LongHistogram(60_000_000, 3);
        long cycles = 0;

        async Task LoopAsync(BenchClient client, TimeSpan duration, bool record)
        {
            var room = "churn-" + (client.Index % options.Rooms);
            var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var joined = await client.JoinAsync(room, cancellationToken).ConfigureAwait(false);
                var left = await client.LeaveAsync(room, cancellationToken).ConfigureAwait(false);
                if (record)
                {
                    lock (joinLatency)
                    {
                        joinLatency.RecordValue(Math.Max(1, joined * 1_000_000 / Stopwatch.Frequency));
                        leaveLatency.RecordValue(Math.Max(1, left * 1_000_000 / Stopwatch.Frequency));
                        cycles++;
                    }
                }
            }
        }

        await Task.WhenAll(clients.Select(c => LoopAsync(c, options.Warmup, false))).ConfigureAwait(false);
        var before = meter.Take();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(clients.Select(c => LoopAsync(c, options.Duration, true))).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = meter.Take();
        var cpu = meter.CpuBetween(before, after, out var serverCpu);
        return new JsonObject
        {
            ["scenario"] = "churn",
            ["clients"] = clients.Length,
            ["rooms"] = options.Rooms,
            ["duration_s"] = Math.Round(elapsed, 2),
            ["joins_per_s"] = Math.Round(cycles / elapsed),
            ["join_leave_ops_per_s"] = Math.Round(2 * cycles / elapsed),
            ["join_ack_ms"] = Percentiles(joinLatency),
            ["leave_ack_ms"] = Percentiles(leaveLatency),
            ["cpu"] = cpu,
            ["server_cpu_us_per_join_leave"] = cycles == 0 ? 0 : Math.Round(serverCpu * 1e6 / (2 * cycles), 1),
        };
    }

    // ----- shared parts -----

    private async Task<Publisher[]> SetUpRoomsAsync(CancellationToken cancellationToken)
    {
        var clients = await ConnectManyAsync(options.Rooms * options.Members, options.Concurrency, cancellationToken).ConfigureAwait(false);
        // Member m of room r is client r*M+m; consecutive clients alternate edges, so every room spans all of them.
        var joins = clients.Select((c, i) => (Client: c, Room: "bench-" + (i / options.Members))).ToArray();
        await ForEachAsync(joins, 20, (j, ct) => j.Client.JoinAsync(j.Room, ct), cancellationToken).ConfigureAwait(false);

        var publishers = new List<Publisher>();
        for (var r = 0; r < options.Rooms; r++)
        {
            for (var p = 0; p < options.Publishers; p++)
            {
                var client = clients[(r * options.Members) + p];
                publishers.Add(new Publisher(client, publishers.Count, "bench-" + r, false, options.Members - 1));
            }
        }

        Console.Error.WriteLine($"  {clients.Length} clients in {options.Rooms} room(s); {publishers.Count} publisher(s)");
        return [.. publishers];
    }

    private async Task WarmUpAsync(Publisher[] publishers, CancellationToken cancellationToken)
    {
        if (options.Warmup > TimeSpan.Zero)
        {
            await RunPhaseAsync(1, publishers, Math.Min(options.Rate, options.StartRate), options.Warmup, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<BenchClient[]> ConnectManyAsync(int count, int concurrency, CancellationToken cancellationToken)
    {
        var clients = new BenchClient[count];
        var first = _clients.Count;
        for (var i = 0; i < count; i++)
        {
            clients[i] = options.Protocol == "socketio"
                ? new SocketIoBenchClient(first + i, _stats)
                : new WsRoomsBenchClient(first + i, _stats, options.Protocol == "wsrooms-v2");
        }

        _clients.AddRange(clients);
        await ForEachAsync(Enumerable.Range(0, count), concurrency, (i, ct) =>
            clients[i].ConnectAsync(options.Urls[i % options.Urls.Count], ct), cancellationToken).ConfigureAwait(false);
        return clients;
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, int concurrency, Func<T, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = new List<Task>();
        foreach (var item in items)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            tasks.Add(RunOneAsync(item));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);

        async Task RunOneAsync(T item)
        {
            try
            {
                await action(item, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task<PhaseResult> RunPhaseAsync(int phase, Publisher[] publishers, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        _stats.StartPhase(phase);
        var before = meter.Take();
        var started = Stopwatch.GetTimestamp();
        var sent = await Task.WhenAll(publishers.Select(p => PublishLoopAsync(p, phase, rate, duration, cancellationToken))).ConfigureAwait(false);
        var sendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long expected = 0;
        for (var i = 0; i < publishers.Length; i++)
        {
            expected += sent[i] * publishers[i].Recipients;
        }

        // Drain: until everything arrived, or nothing more came for a while (what is missing then is lost).
        var lastReceived = -1L;
        var quietSince = Stopwatch.GetTimestamp();
        while (true)
        {
            var received = _stats.Received;
            if (received >= expected || Stopwatch.GetElapsedTime(quietSince) > options.DrainQuiet)
            {
                break;
            }

            if (received != lastReceived)
            {
                lastReceived = received;
                quietSince = Stopwatch.GetTimestamp();
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        var after = meter.Take();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var snapshot = _stats.Take();
        var cpu = meter.CpuBetween(before, after, out var serverCpu);
        return new PhaseResult(
            publishers.Length, rate, sent.Sum() / sendSeconds / publishers.Length, seconds, sent.Sum(), expected, snapshot,
            Math.Max(0, expected - snapshot.Received), snapshot.Received / seconds,
            snapshot.Received == 0 ? 0 : serverCpu * 1e6 / snapshot.Received, cpu);
    }

    private async Task<long> PublishLoopAsync(Publisher publisher, int phase, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var payload = new byte[options.Size];
        var frequency = (double)Stopwatch.Frequency;
        // Publishers start spread over one interval, so P publishers are not P simultaneous bursts.
        await Task.Delay(TimeSpan.FromSeconds(Random.Shared.NextDouble() / rate), cancellationToken).ConfigureAwait(false);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * frequency);
        long sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            // Open loop: send what is due by now (catching up after a late wake-up), then sleep about a millisecond.
            var due = (long)((now - start) / frequency * rate) + 1;
            while (sent < due)
            {
                Payload.Write(payload, phase, publisher.SenderId, sent, Stopwatch.GetTimestamp());
                if (publisher.Direct)
                {
                    await publisher.Client.DirectAsync(publisher.Target, payload, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await publisher.Client.PublishAsync(publisher.Target, payload, cancellationToken).ConfigureAwait(false);
                }

                sent++;
            }

            var nextAt = start + (long)(sent * frequency / rate);
            var waitMs = (nextAt - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, waitMs)), cancellationToken).ConfigureAwait(false);
        }

        return sent;
    }

    private JsonObject Describe(PhaseResult r) => new()
    {
        ["scenario"] = options.Scenario,
        ["rooms"] = options.Scenario == "direct" ? null : options.Rooms,
        ["members"] = options.Scenario == "direct" ? null : options.Members,
        ["pairs"] = options.Scenario == "direct" ? options.Pairs : null,
        ["publishers"] = r.Publishers,
        ["rate_per_publisher"] = Math.Round(r.Rate, 1),
        ["achieved_rate_per_publisher"] = Math.Round(r.AchievedRate, 1),
        ["payload_bytes"] = options.Size,
        ["seconds"] = Math.Round(r.Seconds, 2),
        ["sent"] = r.Sent,
        ["expected"] = r.Expected,
        ["delivered"] = r.Snapshot.Received,
        ["deliveries_per_s"] = Math.Round(r.DeliveriesPerSecond),
        ["lost"] = r.Lost,
        ["duplicated"] = r.Snapshot.Duplicates,
        ["out_of_order"] = r.Snapshot.OutOfOrder,
        ["latency_ms"] = Percentiles(r.Snapshot.Latency),
        ["cpu"] = r.Cpu,
        ["server_cpu_us_per_delivery"] = Math.Round(r.ServerCpuMicrosPerDelivery, 2),
    };

    private static JsonObject Percentiles(HistogramBase h) => h.TotalCount == 0 ? [] : new JsonObject
    {
        ["p50"] = Math.Round(h.GetValueAtPercentile(50) / 1000.0, 3),
        ["p90"] = Math.Round(h.GetValueAtPercentile(90) / 1000.0, 3),
        ["p99"] = Math.Round(h.GetValueAtPercentile(99) / 1000.0, 3),
        ["p99_9"] = Math.Round(h.GetValueAtPercentile(99.9) / 1000.0, 3),
        ["max"] = Math.Round(h.GetMaxValue() / 1000.0, 3),
        ["count"] = h.TotalCount,
    };

    private sealed record PhaseResult(
        int Publishers, double Rate, double AchievedRate, double Seconds, long Sent, long Expected,
        DeliveryStats.Snapshot Snapshot, long Lost, double DeliveriesPerSecond, double ServerCpuMicrosPerDelivery, JsonObject Cpu);
}
