#!/usr/bin/env bash
# The resume-storm benchmark (bench/README.md, "Resume storm"), from one command:
#   builds (Release) the silo, the edge host and bench/WsRooms.ResumeStorm; starts 1 silo and 2 edge hosts as
#   bench/run.sh starts them (free ports, 127.0.0.1); opens the v2 sessions on edge A; the program kills edge A
#   with SIGKILL and waits for every session to resume on edge B; prints its JSON line and appends it to
#   bench/results/resume-storm.jsonl. Bounded in time; every process started here is stopped by its PID on exit.
# Options are passed to the program (e.g. --sessions 5000 --rooms 100 --rate 1); --no-build skips the build.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
BUILD=1
ARGS=()
while (( $# )); do
  case $1 in
    --no-build) BUILD=0; shift ;;
    -h|--help) echo "Usage: bench/resume-storm.sh [--no-build] [WsRooms.ResumeStorm options: --sessions N --rooms R --rate MSG/S ...]"; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
SILO_DLL=$ROOT/src/Silo/bin/Release/net10.0/WsRooms.Silo.dll
EDGE_DLL=$ROOT/src/EdgeHost/bin/Release/net10.0/WsRooms.EdgeHost.dll
STORM_DLL=$BENCH/WsRooms.ResumeStorm/bin/Release/net10.0/WsRooms.ResumeStorm.dll
OUT=$BENCH/results
LOGS=$OUT/logs
mkdir -p "$LOGS"

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

die() { echo "bench/resume-storm.sh: $*" >&2; exit 1; }
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
    (( SECONDS < deadline )) || die "$what was not ready in time"
    sleep 0.3
  done
}
edge_ready() { [[ $(ws_status "$1" /ws) == 101 ]]; }
START_PID=
start() { # log-name command...: its PID (the process itself, via exec) in START_PID
  local log=$LOGS/$1.log; shift
  ( exec "$@" >"$log" 2>&1 ) &
  START_PID=$!
  pids+=("$START_PID")
}

if (( BUILD )); then
  echo "Building (Release)..."
  for project in "$ROOT/src/Silo/Silo.csproj" "$ROOT/src/EdgeHost/EdgeHost.csproj" "$BENCH/WsRooms.ResumeStorm/WsRooms.ResumeStorm.csproj"; do
    dotnet build "$project" -c Release -nologo -v quiet -nr:false -clp:NoSummary >"$LOGS/build.log" 2>&1 \
      || { cat "$LOGS/build.log" >&2; die "build of $project failed"; }
  done
fi
[[ -f $SILO_DLL && -f $EDGE_DLL && -f $STORM_DLL ]] || die "not built; run without --no-build"

echo "Machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
silo_port=$(free_port 22111); gw_port=$(free_port 32000)
start storm-silo dotnet "$SILO_DLL" --Orleans:SiloPort "$silo_port" --Orleans:GatewayPort "$gw_port" --Logging:LogLevel:Default Warning
wait_until 90 "silo" port_open "$gw_port"
port_a=$(free_port 18080)
start storm-edge-a dotnet "$EDGE_DLL" --contentRoot "$ROOT/src/EdgeHost" --urls "http://127.0.0.1:$port_a" --Orleans:GatewayPorts:0 "$gw_port" --Logging:LogLevel:Default Warning
edge_a=$START_PID
port_b=$(free_port $((port_a + 1)))
start storm-edge-b dotnet "$EDGE_DLL" --contentRoot "$ROOT/src/EdgeHost" --urls "http://127.0.0.1:$port_b" --Orleans:GatewayPorts:0 "$gw_port" --Logging:LogLevel:Default Warning
for port in "$port_a" "$port_b"; do wait_until 90 "edge on $port" edge_ready "$port"; done
echo "silo ${pids[0]}, edge A ${edge_a} on $port_a, edge B ${pids[2]} on $port_b"

timeout 600 dotnet "$STORM_DLL" --edge-a "ws://127.0.0.1:$port_a/ws" --edge-b "ws://127.0.0.1:$port_b/ws" --kill-pid "$edge_a" \
  --out "$OUT/resume-storm.jsonl" "${ARGS[@]}"
status=$?
echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
