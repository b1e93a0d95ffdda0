#!/usr/bin/env bash
# The whole WsRooms-vs-Socket.IO comparison (bench/README.md), from one command:
#   1. builds (Release) the silo, the edge host and the load generator; npm ci for the Socket.IO peer
#   2. 1 silo + 1 edge:  connect, fanout, fanout-max, direct, churn, fanout 1x1000 at a fixed rate; then the fanouts
#      and fanout-max again with wsrooms.v2 members
#   3. the Socket.IO 4.8 peer (one Node process): the same scenarios
#   4. 1 silo + 2 edges, every room split across both: fanout 1x1000 at the same fixed rate, fanout-max
#   5. the ASP.NET Core floor (bench/WsRooms.AspNetCoreFloor: Kestrel's WebSocket with rooms in one process): connect, fanout 10x50
#   6. writes bench/results/results.json (every figure) and bench/results/results.md (the table)
# Everything runs on 127.0.0.1; every generator run is bounded in count and time; every process started here is
# stopped by its PID on exit (also on Ctrl-C). See ./bench/run.sh --help.
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: bench/run.sh [options]
  --quick        shorter runs (for trying the script, not for figures)
  --no-build     use what is already built
  --src DIR      build and run the product from DIR instead of this repo (e.g. a clean export of a commit)
  --out DIR      where results go (default bench/results)
  --only LIST    comma-separated parts to run: wsrooms,peer,split,floor (default all)
  -h, --help
Needs: the .NET SDK of global.json, node + npm (for the peer), python3 (for the table).
EOF
}

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SRC=$ROOT
OUT=$BENCH/results
QUICK=0
BUILD=1
ONLY=wsrooms,peer,split,floor

while (( $# )); do
  case $1 in
    --quick) QUICK=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --src) SRC=$(cd "$2" && pwd); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
SILO_DLL=$SRC/src/Silo/bin/Release/net10.0/WsRooms.Silo.dll
EDGE_DLL=$SRC/src/EdgeHost/bin/Release/net10.0/WsRooms.EdgeHost.dll
GEN_DLL=$BENCH/WsRooms.LoadGen/bin/Release/net10.0/WsRooms.LoadGen.dll
FLOOR_DLL=$BENCH/WsRooms.AspNetCoreFloor/bin/Release/net10.0/WsRooms.AspNetCoreFloor.dll
LOGS=$OUT/logs
mkdir -p "$OUT" "$LOGS"
RAW=$OUT/raw.jsonl
: > "$RAW"

# Scenario sizes (bench/README.md). --quick shrinks durations only, never the shapes.
if (( QUICK )); then DUR=3; STEP=2; WARM=1; STEPS=8; else DUR=10; STEP=4; WARM=3; STEPS=20; fi
FIXED_RATE=40   # msg/s into 1 room x 1,000 members: ~40,000 deliveries/s, for the split-vs-single cost ratio

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench/run.sh: $*" >&2; exit 1; }
part() { [[ ",$ONLY," == *",$1,"* ]]; }
port_open() { { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && { exec {fd}>&-; return 0; }; return 1; }
free_port() { local p=$1; while port_open "$p"; do p=$((p + 1)); done; echo "$p"; }

ws_status() { # port path: the HTTP status of a WebSocket upgrade (101 once the edge is ready; 503 while starting)
  local fd line
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: YmVuY2ggcmVhZGluZXNzIQ==\r\n\r\n' "$2" "$1" >&"$fd"
  IFS=' ' read -r -t 5 -u "$fd" _ line _ || line=000
  [[ $line == 101 ]] && printf '\x88\x80\x00\x00\x00\x00' >&"$fd" 2>/dev/null
  exec {fd}>&-
  echo "${line:-000}"
}

wait_until() { # seconds description command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    (( SECONDS < deadline )) || die "$what was not ready within ${deadline}s"
    sleep 0.3
  done
}
edge_ready() { [[ $(ws_status "$1" /ws) == 101 ]]; }
peer_ready() { port_open "$1"; }

START_PID=
start() { # log-name command...: starts a server process; its PID (the process itself, via exec) in START_PID
  local log=$LOGS/$1.log; shift
  ( exec "$@" >"$log" 2>&1 ) &
  START_PID=$!
  pids+=("$START_PID")
}

SILO_PID= ; EDGE_PIDS=() ; EDGE_PORTS=()
start_stack() { # number-of-edges
  local silo_port gw_port n port
  silo_port=$(free_port 22111); gw_port=$(free_port 32000)
  start silo dotnet "$SILO_DLL" --Orleans:SiloPort "$silo_port" --Orleans:GatewayPort "$gw_port" --Logging:LogLevel:Default Warning
  SILO_PID=$START_PID
  wait_until 90 "silo" port_open "$gw_port"
  EDGE_PIDS=(); EDGE_PORTS=()
  port=18080
  for (( n = 1; n <= $1; n++ )); do
    port=$(free_port "$port")
    # As run.sh starts it: content root = the project folder, so its appsettings.json applies.
    start "edge-$n" dotnet "$EDGE_DLL" --contentRoot "$SRC/src/EdgeHost" --urls "http://127.0.0.1:$port" --Orleans:GatewayPorts:0 "$gw_port" --Logging:LogLevel:Default Warning
    EDGE_PIDS+=("$START_PID"); EDGE_PORTS+=("$port")
    port=$((port + 1))
  done
  for port in "${EDGE_PORTS[@]}"; do wait_until 90 "edge on $port" edge_ready "$port"; done
}

gen() { # label protocol pid-args url-args -- scenario args...
  echo ">> $*" | cut -c1-200 >&2
  dotnet "$GEN_DLL" "$@" --out "$RAW" --timeout 240 >/dev/null 2>>"$LOGS/loadgen.log" \
    || echo "bench/run.sh: generator run failed: $*" >&2
}

# Each scenario as it is run against every target: the target's own arguments come first.
scenarios() { # label protocol then --pid/--url args
  local label=$1 proto=$2; shift 2
  local -a rest=("$@")
  local -a base=(--label "$label" --protocol "$proto" "${rest[@]}")
  gen connect   "${base[@]}" --connections 5000 --concurrency 100 --idle-settle 3
  gen fanout    "${base[@]}" --rooms 10 --members 50 --publishers 1 --rate 100 --size 256 --duration "$DUR" --warmup "$WARM"
  gen fanout    "${base[@]}" --rooms 1 --members 1000 --publishers 1 --rate "$FIXED_RATE" --size 256 --duration "$DUR" --warmup "$WARM"
  gen fanout-max "${base[@]}" --rooms 1 --members 1000 --publishers 1 --size 256 --start-rate 10 --step-factor 1.2 \
      --step-duration "$STEP" --max-steps "$STEPS" --warmup "$WARM"
  gen direct    "${base[@]}" --pairs 100 --rate 100 --size 256 --duration "$DUR" --warmup "$WARM"
  gen churn     "${base[@]}" --clients 100 --rooms 10 --duration "$DUR" --warmup "$WARM"
}

# ----- build -----
if (( BUILD )); then
  echo "Building (Release)..."
  for project in "$SRC/src/Silo/Silo.csproj" "$SRC/src/EdgeHost/EdgeHost.csproj" "$BENCH/WsRooms.LoadGen/WsRooms.LoadGen.csproj" \
                 "$BENCH/WsRooms.AspNetCoreFloor/WsRooms.AspNetCoreFloor.csproj"; do
    dotnet build "$project" -c Release -nologo -v quiet -nr:false -clp:NoSummary >"$LOGS/build.log" 2>&1 \
      || { cat "$LOGS/build.log" >&2; die "build of $project failed"; }
  done
  if part peer && [[ ! -d $BENCH/peer-socketio/node_modules ]]; then
    (cd "$BENCH/peer-socketio" && npm ci --no-audit --no-fund >"$LOGS/npm.log" 2>&1) || die "npm ci failed (see $LOGS/npm.log)"
  fi
fi
[[ -f $SILO_DLL && -f $EDGE_DLL && -f $GEN_DLL && -f $FLOOR_DLL ]] || die "not built; run without --no-build"

echo "Machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ----- 1 silo + 1 edge -----
if part wsrooms; then
  echo "== WsRooms, 1 silo + 1 edge"
  start_stack 1
  scenarios "1 silo + 1 edge" wsrooms --pid edge="${EDGE_PIDS[0]}" --pid silo="$SILO_PID" --url "ws://127.0.0.1:${EDGE_PORTS[0]}/ws"
  # The same fan-outs with every member on wsrooms.v2, on the same stack right after v1's: v2 against v1.
  v2=(--label "1 silo + 1 edge, v2" --protocol wsrooms-v2 --pid edge="${EDGE_PIDS[0]}" --pid silo="$SILO_PID" --url "ws://127.0.0.1:${EDGE_PORTS[0]}/ws")
  gen fanout "${v2[@]}" --rooms 10 --members 50 --publishers 1 --rate 100 --size 256 --duration "$DUR" --warmup "$WARM"
  gen fanout "${v2[@]}" --rooms 1 --members 1000 --publishers 1 --rate "$FIXED_RATE" --size 256 --duration "$DUR" --warmup "$WARM"
  gen fanout-max "${v2[@]}" --rooms 1 --members 1000 --publishers 1 --size 256 --start-rate 10 --step-factor 1.2 \
      --step-duration "$STEP" --max-steps "$STEPS" --warmup "$WARM"
  cleanup
fi

# ----- the peer -----
if part peer; then
  echo "== Socket.IO peer"
  peer_port=$(free_port 3100)
  start peer node "$BENCH/peer-socketio/server.js" "$peer_port"
  wait_until 30 "socket.io peer" peer_ready "$peer_port"
  scenarios "socket.io 1 process" socketio --pid peer="$START_PID" --url "ws://127.0.0.1:$peer_port/socket.io/?EIO=4&transport=websocket"
  cleanup
fi

# ----- 1 silo + 2 edges: every room split across both edges -----
if part split; then
  echo "== WsRooms, 1 silo + 2 edges (rooms split across both)"
  start_stack 2
  split=(--label "1 silo + 2 edges" --protocol wsrooms --pid edge="${EDGE_PIDS[0]}" --pid edge2="${EDGE_PIDS[1]}" --pid silo="$SILO_PID"
         --url "ws://127.0.0.1:${EDGE_PORTS[0]}/ws" --url "ws://127.0.0.1:${EDGE_PORTS[1]}/ws")
  gen fanout "${split[@]}" --rooms 1 --members 1000 --publishers 1 --rate "$FIXED_RATE" --size 256 --duration "$DUR" --warmup "$WARM"
  gen fanout-max "${split[@]}" --rooms 1 --members 1000 --publishers 1 --size 256 --start-rate 10 --step-factor 1.2 \
      --step-duration "$STEP" --max-steps "$STEPS" --warmup "$WARM"
  cleanup
fi

# ----- the ASP.NET Core floor: what a connect costs any Kestrel WebSocket server, and one-process room latency -----
if part floor; then
  echo "== ASP.NET Core floor"
  floor_port=$(free_port 18180)
  start floor dotnet "$FLOOR_DLL" --urls "http://127.0.0.1:$floor_port" --Logging:LogLevel:Default Warning
  wait_until 60 "ASP.NET Core floor" edge_ready "$floor_port"
  floor=(--label "aspnetcore floor" --protocol wsrooms --pid edge="$START_PID" --url "ws://127.0.0.1:$floor_port/ws")
  gen connect "${floor[@]}" --connections 5000 --concurrency 100 --idle-settle 3
  gen fanout  "${floor[@]}" --rooms 10 --members 50 --publishers 1 --rate 100 --size 256 --duration "$DUR" --warmup "$WARM"
  cleanup
fi

echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$BENCH/report.py" "$RAW" "$OUT/results.json" "$OUT/results.md" "bench/run.sh $*" || die "report failed"
cat "$OUT/results.md"
