#!/usr/bin/env bash
# Builds WsRooms and runs it on this machine: N silos (one cluster) and N edge hosts, all on 127.0.0.1.
# When one process dies the others keep running, so a failover can be watched; Ctrl-C or SIGTERM stops
# them all. Needs only the .NET SDK (and bash + coreutils); python3 is used to pick free ports when present;
# --azure also needs Node.js (npm) for Azurite. See ./run.sh --help.
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: ./run.sh [options]

Builds (Release) and starts a local WsRooms cluster: silos with in-memory storage, and edge hosts
serving the WebSocket endpoint /ws and the try-it page /; deliveries reach the edge hosts on push
streams. Ctrl-C (or SIGTERM) stops everything.

When a process dies (kill -9 it to try a failover), run.sh says which one and how, shows the last
lines of its log, and keeps the others running; it exits (code 1) once every process has died.

Options:
  --port P      HTTP port of the first edge host (default 8080); edge n listens on P+n-1
  --edges N     number of edge hosts (default 1)
  --silos N     number of silos forming one cluster (default 1); silo 1 is the primary (not with --azure)
  --azure       run against Azurite (the Azure Storage emulator, installed from tools/package.json and
                started here): Azure Table clustering and grain state, so state survives silo restarts
  --no-build    skip the build and run what is already in bin/Release
  --follow      also print the processes' logs here as they are written
  --log-dir D   where the logs and PID files go (default .run)
  -h, --help    show this help

Logs: .run/silo-<n>.log and .run/edge-<n>.log (and .run/azurite.log), overwritten on each start;
each process's PID is in the .pid file beside its log while it runs (kill -9 $(cat .run/edge-2.pid)).
Silo and gateway ports are picked free at start; they are printed with each process's PID.

Failover drills:
  ./run.sh --edges 2               kill -9 one edge host: the page on the other keeps working
  ./run.sh --azure --silos 2 --edges 2
                                   kill -9 either silo: the other carries on with every room, as
                                   membership and grain state are in Azurite
Without --azure the state lives in the silos' memory: killing the one silo of a single-silo run
leaves the edge hosts with no cluster to talk to, and in a multi-silo run silo 1 holds the cluster's
membership, and each silo a share of the rooms' state, which die with it.

Exit code: 0 after Ctrl-C or SIGTERM when every process was running and stopped cleanly; 1 when
one had died, did not stop cleanly or failed to start; 2 for a bad option.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT" || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

CONFIGURATION=Release
SILO_DLL=src/Silo/bin/$CONFIGURATION/net10.0/WsRooms.Silo.dll
EDGE_DLL=src/EdgeHost/bin/$CONFIGURATION/net10.0/WsRooms.EdgeHost.dll
CLUSTER_ID=wsrooms-local
SERVICE_ID=wsrooms
LOG_DIR=.run
START_TIMEOUT=90   # seconds one process may take to become ready (2 cores, cold JIT, a silo joining)
STOP_TIMEOUT=30    # seconds one group of processes may take to stop before it is killed

first_port=8080
edges=1
silos=1
build=1
follow=0
azure=0

die() { echo "run.sh: $*" >&2; exit 2; }
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]] && (( $1 <= 64 )); }

while (( $# )); do
  case $1 in
    --port)     [[ ${2:-} =~ ^[0-9]+$ ]] && (( $2 >= 1 && $2 <= 65535 )) || die "--port needs a port number"; first_port=$2; shift 2 ;;
    --edges)    is_count "${2:-}" || die "--edges needs a number from 1 to 64"; edges=$2; shift 2 ;;
    --silos)    is_count "${2:-}" || die "--silos needs a number from 1 to 64"; silos=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --azure)    azure=1; shift ;;
    --follow)   follow=1; shift ;;
    --log-dir)  [[ -n ${2:-} ]] || die "--log-dir needs a directory"; LOG_DIR=$2; shift 2 ;;
    -h|--help)  usage; exit 0 ;;
    *)          usage >&2; die "unknown option: $1" ;;
  esac
done
(( first_port + edges - 1 <= 65535 )) || die "--port $first_port with $edges edges runs past port 65535"

command -v dotnet >/dev/null || die "dotnet is not on PATH; install the .NET SDK named in global.json"

# ----- processes we own: role, number, PID -----
roles=() numbers=() pids=() logs=()
tail_pid="" sleep_pid=""
stopping=0
unclean=0     # set when a process died, or ended badly while stopping: then the exit code is 1
exited=()     # index -> "reported" once a process's death has been explained already (its PID may be reused)

alive() { # pid: running (bash reaps its children, so a finished child is gone, not a zombie)
  kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

show_log() { # index [lines]: the last lines a failed process wrote
  echo "---- last lines of ${logs[$1]} ----" >&2
  tail -n "${2:-40}" "${logs[$1]}" >&2
  echo "----" >&2
}

pid_file() { echo "${logs[$1]%.log}.pid"; }

running() { # role: how many processes of that role are still running
  local i count=0
  for i in "${!pids[@]}"; do [[ ${roles[$i]} == "$1" && ${exited[$i]:-} != reported ]] && (( count++ )); done
  echo "$count"
}

running_total() { echo $(( $(running silo) + $(running edge) + $(running azurite) )); }

stop_group() { # indexes: SIGTERM them, wait up to STOP_TIMEOUT, then SIGKILL what is left
  local i deadline code
  (( $# )) || return 0
  for i; do [[ ${exited[$i]:-} == reported ]] || { alive "${pids[$i]}" && kill -TERM "${pids[$i]}" 2>/dev/null; }; done
  deadline=$(( SECONDS + STOP_TIMEOUT ))
  for i; do
    [[ ${exited[$i]:-} == reported ]] && continue  # reaped already: its PID may belong to another process now
    while alive "${pids[$i]}" && (( SECONDS < deadline )); do sleep 0.2; done
    if alive "${pids[$i]}"; then
      echo "${roles[$i]} ${numbers[$i]} (pid ${pids[$i]}) did not stop within ${STOP_TIMEOUT}s: killing it" >&2
      kill -KILL "${pids[$i]}" 2>/dev/null
    fi
    wait "${pids[$i]}" 2>/dev/null
    code=$?
    if (( code != 0 )); then
      echo "${roles[$i]} ${numbers[$i]} (pid ${pids[$i]}) exited with code $code while stopping; see ${logs[$i]}" >&2
      unclean=1
    fi
    rm -f "$(pid_file "$i")"
  done
}

cleanup() { # stop edges first (they drain their sockets), then the other silos, the primary last
  (( stopping )) && return
  stopping=1
  trap '' INT TERM HUP
  local i edge_idx=() other_idx=() primary_idx=()
  local storage_idx=()
  for i in "${!pids[@]}"; do
    if [[ ${roles[$i]} == edge ]]; then edge_idx+=("$i")
    elif [[ ${roles[$i]} == azurite ]]; then storage_idx+=("$i")
    elif (( numbers[i] == 1 )); then primary_idx+=("$i")
    else other_idx+=("$i"); fi
  done
  local any; any=$(running_total)
  (( any )) && echo "Stopping..."
  stop_group "${edge_idx[@]}"
  stop_group "${other_idx[@]}"
  stop_group "${primary_idx[@]}"
  stop_group "${storage_idx[@]}"  # last: the silos write to it until they are gone
  for i in $tail_pid $sleep_pid; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
  (( any )) && echo "Stopped."
}

fail() { # message [index of the process whose log explains it]
  echo "run.sh: $1" >&2
  # A process that is not ready in time still runs: only a dead one is left out of the stopping.
  if [[ -n ${2:-} ]]; then show_log "$2"; alive "${pids[$2]}" || exited[$2]=reported; fi
  cleanup
  exit 1
}

trap 'cleanup; exit $unclean' INT TERM HUP
trap 'cleanup' EXIT

# ----- ports -----
port_in_use() { # port: something accepts TCP on 127.0.0.1:port
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

free_ports() { # count: that many distinct ports nothing listens on now
  if command -v python3 >/dev/null; then
    python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
  else
    # No python3: random ports below Linux's ephemeral range (32768+), skipping any that answer.
    local picked=() p
    while (( ${#picked[@]} < $1 )); do
      p=$(( 20000 + RANDOM % 12000 ))
      [[ " ${picked[*]} " == *" $p "* ]] && continue
      port_in_use "$p" || picked+=("$p")
    done
    echo "${picked[*]}"
  fi
}

http_status() { # port path [ws]: the HTTP status code of one GET, or 000 when nothing answers
  local port=$1 path=$2 ws=${3:-} fd line
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo 000; return; }
  if [[ $ws == ws ]]; then
    # A real WebSocket upgrade: without one /ws answers 400 whether or not the edge is ready.
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: cnVuLnNoIHJlYWRpbmVzcw==\r\n\r\n' "$path" "$port" >&"$fd"
  else
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&"$fd"
  fi
  IFS=' ' read -r -t 5 -u "$fd" _ line _ || line=000
  # After a 101, say goodbye properly: a masked close frame with no payload.
  [[ $line == 101 ]] && printf '\x88\x80\x00\x00\x00\x00' >&"$fd" 2>/dev/null
  exec {fd}>&-
  echo "${line:-000}"
}

# ----- build -----
if (( build )); then
  echo "Building (Release)..."
  for project in src/Silo/Silo.csproj src/EdgeHost/EdgeHost.csproj; do
    # -nr:false: no MSBuild worker nodes left running after the build.
    dotnet build "$project" -c "$CONFIGURATION" -nologo -v quiet -nr:false \
      || fail "build of $project failed"
  done
fi
for dll in "$SILO_DLL" "$EDGE_DLL"; do
  [[ -f $dll ]] || fail "$dll is missing (build first, or drop --no-build)"
done

for (( n = 0; n < edges; n++ )); do
  port_in_use $(( first_port + n )) && fail "port $(( first_port + n )) is already in use (choose another with --port)"
done

mkdir -p "$LOG_DIR" || die "cannot create $LOG_DIR"
rm -f "$LOG_DIR"/silo-*.pid "$LOG_DIR"/edge-*.pid "$LOG_DIR"/azurite.pid  # left by a run that was killed
read -r -a ports <<<"$(free_ports $(( 2 * silos )))"
(( ${#ports[@]} == 2 * silos )) || fail "could not find free ports"

three_free_ports() { # a port P such that P, P+1 and P+2 are free (Azurite's blob, queue and table)
  local tries p
  for (( tries = 0; tries < 50; tries++ )); do
    read -r p <<<"$(free_ports 1)"
    (( p + 2 <= 65535 )) || continue
    port_in_use "$p" || port_in_use $(( p + 1 )) || port_in_use $(( p + 2 )) || { echo "$p"; return 0; }
  done
  return 1
}

# ----- start -----
start() { # role number log command...: run it in the background, output to its log
  local role=$1 number=$2 log=$3; shift 3
  "$@" </dev/null >"$log" 2>&1 &
  roles+=("$role") numbers+=("$number") pids+=("$!") logs+=("$log")
  echo "$!" >"${log%.log}.pid"
}

wait_ready() { # index check-function args...: poll until ready, fail on death or timeout
  local i=$1 deadline=$(( SECONDS + START_TIMEOUT )); shift
  until "$@"; do
    alive "${pids[$i]}" || fail "${roles[$i]} ${numbers[$i]} exited during start" "$i"
    (( SECONDS < deadline )) || fail "${roles[$i]} ${numbers[$i]} was not ready within ${START_TIMEOUT}s" "$i"
    sleep 0.3
  done
}

silo_ready() { port_in_use "$1"; }
azurite_ready() { port_in_use "$1" && port_in_use $(( $1 + 1 )) && port_in_use $(( $1 + 2 )); }

# ----- Azurite (--azure) -----
provider_args=() edge_provider_args=()
if (( azure )); then
  for attempt in 1 2 3; do
    azurite_port=$(three_free_ports) || fail "could not find three consecutive free ports for Azurite"
    echo "Starting Azurite on 127.0.0.1:$azurite_port-$(( azurite_port + 2 )) (in memory); log in $LOG_DIR/azurite.log"
    start azurite 0 "$LOG_DIR/azurite.log" tools/azurite.sh "$azurite_port"
    # npm ci on a clean clone takes up to a minute before Azurite itself starts.
    deadline=$(( SECONDS + START_TIMEOUT ))
    until azurite_ready "$azurite_port" || ! alive "${pids[0]}" || (( SECONDS >= deadline )); do sleep 0.3; done
    azurite_ready "$azurite_port" && break
    # A port taken between choosing and binding it (EADDRINUSE): other ports.
    kill -KILL "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null; rm -f "$(pid_file 0)"
    roles=() numbers=() pids=() logs=()
    (( attempt == 3 )) && fail "Azurite did not start; see $LOG_DIR/azurite.log"
  done
  connection_string=$(tools/azurite.sh --connection-string "$azurite_port")
  azure_args=(--WsRooms:Clustering AzureStorage --WsRooms:Azure:ConnectionString "$connection_string")
  provider_args=("${azure_args[@]}" --WsRooms:GrainStorage AzureTable --Orleans:AdvertisedIPAddress 127.0.0.1)
  edge_provider_args=("${azure_args[@]}")
fi
edge_ready() {
  [[ $(http_status "$1" /healthz) == 200 ]] || return 1
  local ws; ws=$(http_status "$1" /ws ws)
  [[ $ws != 000 && $ws != 503 ]]
}

silo_port=() gateway_port=() gateway_args=()
for (( n = 1; n <= silos; n++ )); do
  silo_port[n]=${ports[2 * (n - 1)]}
  gateway_port[n]=${ports[2 * (n - 1) + 1]}
  gateway_args+=("--Orleans:GatewayPorts:$(( n - 1 ))" "${gateway_port[n]}")
done

echo "Starting $silos silo(s) and $edges edge host(s); logs in $LOG_DIR/"
for (( n = 1; n <= silos; n++ )); do
  primary_args=()
  (( n > 1 && ! azure )) && primary_args=(--Orleans:PrimarySiloPort "${silo_port[1]}")
  start silo "$n" "$LOG_DIR/silo-$n.log" dotnet "$SILO_DLL" \
    --Orleans:ClusterId "$CLUSTER_ID" --Orleans:ServiceId "$SERVICE_ID" \
    --Orleans:SiloPort "${silo_port[n]}" --Orleans:GatewayPort "${gateway_port[n]}" "${primary_args[@]}" "${provider_args[@]}"
  # The primary must be up before the others can join it; the others start side by side.
  (( n == 1 )) && wait_ready $(( azure )) silo_ready "${gateway_port[1]}"
done
for (( n = 2; n <= silos; n++ )); do wait_ready $(( azure + n - 1 )) silo_ready "${gateway_port[n]}"; done

for (( n = 1; n <= edges; n++ )); do
  # Content root = the project folder: appsettings.json and wwwroot are read from there.
  start edge "$n" "$LOG_DIR/edge-$n.log" dotnet "$EDGE_DLL" --contentRoot "$ROOT/src/EdgeHost" \
    --urls "http://127.0.0.1:$(( first_port + n - 1 ))" \
    --Orleans:ClusterId "$CLUSTER_ID" --Orleans:ServiceId "$SERVICE_ID" "${gateway_args[@]}" "${edge_provider_args[@]}"
done
for (( n = 1; n <= edges; n++ )); do wait_ready $(( azure + silos + n - 1 )) edge_ready $(( first_port + n - 1 )); done

# ----- running -----
describe() { # index: where the process listens
  local n=${numbers[$1]}
  case ${roles[$1]} in
    azurite) echo "blob/queue/table 127.0.0.1:$azurite_port-$(( azurite_port + 2 ))" ;;
    silo)    echo "silo port ${silo_port[n]} gateway ${gateway_port[n]}$( (( n == 1 && ! azure )) && echo " (primary)")" ;;
    *)       echo "http://127.0.0.1:$(( first_port + n - 1 ))" ;;
  esac
}

report_death() { # index: say which process died and how, show its log, and what it means for the rest
  local i=$1 code how n=${numbers[$1]} left urls=() j
  wait "${pids[$i]}" 2>/dev/null
  code=$?
  if (( code > 128 && code <= 128 + 64 )); then how="killed by SIG$(kill -l $(( code - 128 )))"
  else how="exited with code $code"; fi
  exited[$i]=reported
  unclean=1
  rm -f "$(pid_file "$i")"
  echo >&2
  echo "run.sh: ${roles[$i]} $n ($(describe "$i"), pid ${pids[$i]}) died: $how" >&2
  show_log "$i" 20
  case ${roles[$i]} in
    edge)
      for j in "${!pids[@]}"; do
        [[ ${roles[$j]} == edge && ${exited[$j]:-} != reported ]] && urls+=("$(describe "$j")/")
      done
      if (( ${#urls[@]} )); then left="its clients lost their sockets; still serving: ${urls[*]}"
      else left="no edge host is left"; fi ;;
    silo)
      if (( $(running silo) == 0 )); then left="no silo is left: the edge hosts have no cluster to talk to"
      elif (( azure )); then left="the other silos carry on: the cluster's membership and state are in Azurite"
      elif (( n == 1 )); then left="it held the cluster's membership (in memory): the other silos cannot recover without it (--azure can)"
      else left="the state it held in memory is lost (--azure keeps it in Azurite)"; fi ;;
    *)
      left="the silos and edge hosts have lost their storage" ;;
  esac
  if (( $(running_total) )); then echo "run.sh: $left. The others keep running; Ctrl-C stops them." >&2
  else echo "run.sh: $left." >&2; fi
}

echo
echo "WsRooms is running."
echo "  WebSocket  ws://127.0.0.1:$first_port/ws"
echo "  Page       http://127.0.0.1:$first_port/"
echo
for i in "${!pids[@]}"; do printf '  %-7s %-3s pid %-7s %s\n' "${roles[$i]}" "${numbers[$i]}" "${pids[$i]}" "$(describe "$i")"; done
echo
echo "Logs: ${logs[*]}"
echo "PIDs: $LOG_DIR/<name>.pid beside each log; kill -9 one (e.g. kill -9 \$(cat ${logs[-1]%.log}.pid)) and the rest carry on."
echo "Press Ctrl-C to stop."

if (( follow )); then
  tail -n 0 -F "${logs[@]}" &
  tail_pid=$!
fi

# Sleep in the background and wait for it, so a signal is handled at once rather than after the sleep.
while true; do
  for i in "${!pids[@]}"; do
    [[ ${exited[$i]:-} == reported ]] || alive "${pids[$i]}" || report_death "$i"
  done
  (( $(running_total) )) || { echo "run.sh: every process has died." >&2; exit 1; }
  sleep 1 &
  sleep_pid=$!
  wait "$sleep_pid" 2>/dev/null
  sleep_pid=""
done
