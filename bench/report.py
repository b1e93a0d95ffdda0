#!/usr/bin/env python3
"""Turns the generator's JSON lines (bench/run.sh) into results.json and results.md (the table bench/README.md shows)."""
import datetime
import json
import sys

raw, out_json, out_md, command = sys.argv[1:5]
runs = [json.loads(line) for line in open(raw) if line.strip()]


def find(label, scenario, **shape):
    for r in runs:
        if r.get("label") == label and r.get("scenario") == scenario and all(r.get(k) == v for k, v in shape.items()):
            return r
    return None


WS, PEER, SPLIT, FLOOR = "1 silo + 1 edge", "socket.io 1 process", "1 silo + 2 edges", "aspnetcore floor"
WS2 = "1 silo + 1 edge, v2"


def get(r, *path):
    for p in path:
        if r is None:
            return None
        r = r.get(p) if isinstance(r, dict) else None
    return r


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.2f}{unit}"
    return f"{v:,.0f}{unit}"


def ratio(a, b):
    return None if a is None or not b else a / b


def cores(r):
    cpu = get(r, "cpu") or {}
    parts = [f"{k} {v['cores']:.2f}" for k, v in cpu.items() if isinstance(v, dict)]
    return ", ".join(parts) if parts else "–"


rows = []
targets = []


def row(name, ws, peer, split=None, unit="", better="higher"):
    rows.append((name, fmt(ws, unit), fmt(peer, unit), fmt(ratio(ws, peer)) + "×" if ratio(ws, peer) else "–",
                 fmt(split, unit) if split is not None else ""))


def target(name, met, detail):
    targets.append({"target": name, "met": bool(met), "measured": detail})


# fanout-max 1 x 1000 (a run whose first step already failed has no best step: its figures stay empty)
fm_ws, fm_peer, fm_split = (find(l, "fanout-max") for l in (WS, PEER, SPLIT))
def first_failed(r):
    """A ramp whose first step already failed (twice) has no best step: say so with that step's figures."""
    steps = get(r, "steps") or []
    if r is not None and not get(r, "deliveries_per_s") and steps:
        return f"none: < {steps[0]['deliveries_per_s']:,.0f} (p99 {steps[0]['latency_ms'].get('p99', 0):.0f} ms at the first step)"
    return None


row("fanout-max 1×1000, 256 B: max sustainable deliveries/s", get(fm_ws, "deliveries_per_s"), get(fm_peer, "deliveries_per_s"), get(fm_split, "deliveries_per_s"))
rows[-1] = tuple(first_failed(r) or v for r, v in zip((None, fm_ws, fm_peer, None, fm_split), rows[-1]))
row("  … p99 at that rate (ms)", get(fm_ws, "latency_ms", "p99"), get(fm_peer, "latency_ms", "p99"), get(fm_split, "latency_ms", "p99"))
row("  … server CPU µs per delivery", get(fm_ws, "server_cpu_us_per_delivery"), get(fm_peer, "server_cpu_us_per_delivery"), get(fm_split, "server_cpu_us_per_delivery"))
r_max = ratio(get(fm_ws, "deliveries_per_s"), get(fm_peer, "deliveries_per_s"))
target("fanout-max ≥ 1.5× Socket.IO", r_max is not None and r_max >= 1.5,
       f"{fmt(r_max)}×" if r_max else "no ratio from this run: a target had no passing step")
us = get(fm_ws, "server_cpu_us_per_delivery")
target("server CPU ≤ 8 µs per delivery (edge+silo)", us is not None and us <= 8, f"{fmt(us)} µs")

# fanout 10 x 50 at 100/s
f_ws, f_peer = (find(l, "fanout", rooms=10, members=50) for l in (WS, PEER))
row("fanout 10×50, 1 pub/room at 100/s: p50 (ms)", get(f_ws, "latency_ms", "p50"), get(f_peer, "latency_ms", "p50"))
row("  … p99 (ms)", get(f_ws, "latency_ms", "p99"), get(f_peer, "latency_ms", "p99"))
row("  … p99.9 / max (ms)", get(f_ws, "latency_ms", "p99_9"), get(f_peer, "latency_ms", "p99_9"))
row("  … lost / dup / out of order", get(f_ws, "lost"), get(f_peer, "lost"))
row("  … server CPU µs per delivery", get(f_ws, "server_cpu_us_per_delivery"), get(f_peer, "server_cpu_us_per_delivery"))
# The same load against the ASP.NET Core floor: rooms in one process, no cluster hop.
f_floor = find(FLOOR, "fanout", rooms=10, members=50)
row("  … ASP.NET Core floor (rooms in one process): p50 (ms)", get(f_floor, "latency_ms", "p50"), get(f_peer, "latency_ms", "p50"))
row("  … ASP.NET Core floor: p99 (ms)", get(f_floor, "latency_ms", "p99"), get(f_peer, "latency_ms", "p99"))
p50, p99, lost = get(f_ws, "latency_ms", "p50"), get(f_ws, "latency_ms", "p99"), get(f_ws, "lost")
target("fanout 10×50: p50 ≤ 2 ms", p50 is not None and p50 <= 2, f"{fmt(p50)} ms (Socket.IO {fmt(get(f_peer, 'latency_ms', 'p50'))}, the ASP.NET Core floor {fmt(get(f_floor, 'latency_ms', 'p50'))} ms)")
target("fanout 10×50: p99 ≤ 10 ms", p99 is not None and p99 <= 10, f"{fmt(p99)} ms")
target("fanout 10×50: nothing lost", lost == 0 and get(f_ws, "duplicated") == 0, f"lost {lost}, duplicated {get(f_ws, 'duplicated')}, out of order {get(f_ws, 'out_of_order')}")

# fixed-rate 1 x 1000, single vs split
x_ws, x_peer, x_split = (find(l, "fanout", rooms=1, members=1000) for l in (WS, PEER, SPLIT))
row("fanout 1×1000 at 40/s: deliveries/s", get(x_ws, "deliveries_per_s"), get(x_peer, "deliveries_per_s"), get(x_split, "deliveries_per_s"))
row("  … p50 (ms)", get(x_ws, "latency_ms", "p50"), get(x_peer, "latency_ms", "p50"), get(x_split, "latency_ms", "p50"))
row("  … p99 (ms)", get(x_ws, "latency_ms", "p99"), get(x_peer, "latency_ms", "p99"), get(x_split, "latency_ms", "p99"))
row("  … lost", get(x_ws, "lost"), get(x_peer, "lost"), get(x_split, "lost"))
row("  … server CPU µs per delivery", get(x_ws, "server_cpu_us_per_delivery"), get(x_peer, "server_cpu_us_per_delivery"), get(x_split, "server_cpu_us_per_delivery"))
c1, c2 = get(x_ws, "server_cpu_us_per_delivery"), get(x_split, "server_cpu_us_per_delivery")
rc = ratio(c2, c1)
target("2 edges, room split: every message delivered", x_split is not None and get(x_split, "lost") == 0 and get(x_split, "duplicated") == 0,
       f"lost {get(x_split, 'lost')}, duplicated {get(x_split, 'duplicated')}")
target("2 edges: cost per delivery ≤ 1.3× single edge", rc is not None and rc <= 1.3, f"{fmt(c2)} vs {fmt(c1)} µs = {fmt(rc)}×")

# v2 members against v1 members, same stack (the Socket.IO column holds v1 here, the ratio is v2 ÷ v1)
v2_max, v2_10, v2_1k = find(WS2, "fanout-max"), find(WS2, "fanout", rooms=10, members=50), find(WS2, "fanout", rooms=1, members=1000)
f_ws_10 = find(WS, "fanout", rooms=10, members=50)
row("v2 members (v2 | v1 | v2 ÷ v1): fanout-max 1×1000 deliveries/s", get(v2_max, "deliveries_per_s"), get(fm_ws, "deliveries_per_s"))
row("  … v2: fanout 10×50 p50 (ms)", get(v2_10, "latency_ms", "p50"), get(f_ws_10, "latency_ms", "p50"))
row("  … v2: fanout 10×50 p99 (ms)", get(v2_10, "latency_ms", "p99"), get(f_ws_10, "latency_ms", "p99"))
row("  … v2: fanout 1×1000 at 40/s server CPU µs per delivery", get(v2_1k, "server_cpu_us_per_delivery"), get(x_ws, "server_cpu_us_per_delivery"))
row("  … v2: lost (10×50, 1×1000)", (get(v2_10, "lost") or 0) + (get(v2_1k, "lost") or 0) if v2_10 or v2_1k else None,
    (get(f_ws_10, "lost") or 0) + (get(x_ws, "lost") or 0) if f_ws_10 or x_ws else None)
r_v2 = ratio(get(v2_max, "deliveries_per_s"), get(fm_ws, "deliveries_per_s"))
target("fanout-max: v2 members ≥ 0.9× v1", r_v2 is not None and r_v2 >= 0.9, f"{fmt(r_v2)}×" if r_v2 else "no v2 run, or a run had no passing step")
r_v2cpu = ratio(get(x_ws, "server_cpu_us_per_delivery"), get(v2_1k, "server_cpu_us_per_delivery"))
target("fanout 1×1000 at 40/s: v2 CPU per delivery ≤ v1 ÷ 0.9", r_v2cpu is not None and r_v2cpu >= 0.9,
       f"{fmt(get(v2_1k, 'server_cpu_us_per_delivery'))} vs {fmt(get(x_ws, 'server_cpu_us_per_delivery'))} µs")

# connect
c_ws, c_peer = (find(l, "connect") for l in (WS, PEER))
row("connect 5,000 at concurrency 100: connects/s", get(c_ws, "connects_per_s"), get(c_peer, "connects_per_s"))
row("  … s until every root join_ack", get(c_ws, "seconds_until_every_root_ack"), get(c_peer, "seconds_until_every_root_ack"))
row("  … edge (peer) RSS bytes per idle connection", get(c_ws, "memory", "edge", "bytes_per_connection"), get(c_peer, "memory", "peer", "bytes_per_connection"))
row("  … silo RSS bytes per idle connection", get(c_ws, "memory", "silo", "bytes_per_connection"), None)
# The floor: ASP.NET Core's own WebSocket endpoint and nothing else, in the WsRooms column, against the same peer.
c_floor = find(FLOOR, "connect")
row("  … ASP.NET Core floor (bare Kestrel WebSocket): connects/s", get(c_floor, "connects_per_s"), get(c_peer, "connects_per_s"))
row("  … ASP.NET Core floor: RSS bytes per idle connection", get(c_floor, "memory", "edge", "bytes_per_connection"), get(c_peer, "memory", "peer", "bytes_per_connection"))
rcon = ratio(get(c_ws, "connects_per_s"), get(c_peer, "connects_per_s"))
rfloor = ratio(get(c_floor, "connects_per_s"), get(c_peer, "connects_per_s"))
target("connect ≥ 2× Socket.IO connects/s", rcon is not None and rcon >= 2, f"{fmt(rcon)}× (the ASP.NET Core floor: {fmt(rfloor)}×)")
mem = get(c_ws, "memory", "edge", "bytes_per_connection")
target("edge ≤ 10 KB per idle connection", mem is not None and mem <= 10240,
       f"{fmt(mem)} bytes (the ASP.NET Core floor: {fmt(get(c_floor, 'memory', 'edge', 'bytes_per_connection'))} bytes)")

# direct, churn
d_ws, d_peer = (find(l, "direct") for l in (WS, PEER))
row("direct 100 pairs at 100/s each way: p50 (ms)", get(d_ws, "latency_ms", "p50"), get(d_peer, "latency_ms", "p50"))
row("  … p99 (ms)", get(d_ws, "latency_ms", "p99"), get(d_peer, "latency_ms", "p99"))
row("  … lost", get(d_ws, "lost"), get(d_peer, "lost"))
row("  … server CPU µs per delivery", get(d_ws, "server_cpu_us_per_delivery"), get(d_peer, "server_cpu_us_per_delivery"))
h_ws, h_peer = (find(l, "churn") for l in (WS, PEER))
row("churn 100 clients, 10 rooms: joins/s (join+leave)", get(h_ws, "joins_per_s"), get(h_peer, "joins_per_s"))
row("  … join_ack p50 (ms)", get(h_ws, "join_ack_ms", "p50"), get(h_peer, "join_ack_ms", "p50"))
row("  … join_ack p99 (ms)", get(h_ws, "join_ack_ms", "p99"), get(h_peer, "join_ack_ms", "p99"))

loads = sorted({r.get("load_average", "").split(" ")[0] for r in runs if r.get("load_average")})
result = {
    "command": command,
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "cores": runs[0].get("cores") if runs else None,
    "note": "load generator on the same machine as the servers; CPU figures per process from /proc",
    "targets": targets,
    "runs": runs,
}
json.dump(result, open(out_json, "w"), indent=1)

md = [f"Measured {result['date']} with `{command}` on {result['cores']} cores, the load generator beside the servers "
      f"(1-min load average at the runs: {', '.join(loads)}).", "",
      "| scenario | WsRooms 1 silo + 1 edge | Socket.IO 4.8 | WsRooms ÷ Socket.IO | WsRooms 1 silo + 2 edges |",
      "|---|---:|---:|---:|---:|"]
md += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
md += ["", f"CPU (cores busy on average) during the runs — the generator competes with the servers for the same {result['cores']} cores:", ""]
for label, rs in ((WS, (fm_ws, f_ws)), (PEER, (fm_peer, f_peer)), (SPLIT, (fm_split, x_split))):
    md.append(f"- {label}: fanout-max at the best step: {cores(rs[0])}; second run shown: {cores(rs[1])}")
md += ["", "| target | met | measured |", "|---|---|---|"]
md += [f"| {t['target']} | {'yes' if t['met'] else '**no**'} | {t['measured']} |" for t in targets]
open(out_md, "w").write("\n".join(md) + "\n")
