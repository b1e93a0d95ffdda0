#!/usr/bin/env bash
# Runs every test in WsRooms.sln: one Release build, then each test project in turn (two Orleans clusters
# starting side by side on 2 cores are slow). The last line is always "N passed, N failed[, N skipped]",
# summed from the trx files; CI reads only that line. Extra arguments go to every `dotnet test`,
# e.g. ./test.sh --filter "FullyQualifiedName~Protocol".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT" || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SOLUTION=WsRooms.sln
CONFIGURATION=Release
RESULTS_DIR=TestResults/test-sh
# A test run that hangs is stopped after this long and counts as failed (never a CI job that never ends).
HANG_TIMEOUT=${WSROOMS_TEST_HANG_TIMEOUT:-5m}

section() { printf '\n==== %s ====\n' "$*"; }

# The summary line ends every run, also a failed build, so CI always finds it.
finish() { # passed failed skipped exit-code
  local line="$1 passed, $2 failed"
  (( $3 > 0 )) && line+=", $3 skipped"
  echo
  echo "$line"
  exit "$4"
}

# ----- 1. Ensure prerequisites -----
# Everything a clean machine needs before the build: the .NET SDK and the npm packages of tools/ (Azurite).
# The browser tests add Debian's chromium (apt-get) and tests/browser's npm packages.
ensure_dotnet() {
  if ! command -v dotnet >/dev/null; then
    echo "test.sh: dotnet is not on PATH. Install the .NET SDK named in global.json." >&2
    return 1
  fi
  # In the repo, `dotnet --version` fails when no installed SDK satisfies global.json.
  local version
  if ! version=$(dotnet --version 2>&1); then
    echo "test.sh: no .NET SDK matching global.json: $version" >&2
    return 1
  fi
  echo ".NET SDK $version"
}

# Azurite (the Azure Storage emulator) for the tests that run against Azure storage: installed from
# tools/package-lock.json. The tests start and stop their own Azurite instances; nothing is started here.
ensure_npm_tools() {
  if ! command -v npm >/dev/null; then
    echo "test.sh: npm is not on PATH. Install Node.js (20 or later): the Azure storage tests run Azurite." >&2
    return 1
  fi
  if [[ -x tools/node_modules/.bin/azurite && ! tools/node_modules/.package-lock.json -ot tools/package-lock.json ]]; then
    echo "Azurite: already installed (tools/node_modules)"
    return 0
  fi
  echo "Installing tools/ npm packages (npm ci)..."
  (cd tools && npm ci --no-audit --no-fund --loglevel=error) || { echo "test.sh: npm ci in tools/ failed" >&2; return 1; }
}

# The browser tests (tests/browser): Debian's chromium, driven by playwright-core from tests/browser/package-lock.json.
ensure_browser_tests() {
  if [[ ! -x /usr/bin/chromium ]]; then
    echo "Installing Debian's chromium (apt-get)..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
      || { echo "test.sh: could not install chromium (apt-get needs root); the browser tests need /usr/bin/chromium" >&2; return 1; }
  fi
  echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  if [[ -d tests/browser/node_modules/playwright-core && ! tests/browser/node_modules/.package-lock.json -ot tests/browser/package-lock.json ]]; then
    echo "playwright-core: already installed (tests/browser/node_modules)"
    return 0
  fi
  echo "Installing tests/browser npm packages (npm ci)..."
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || { echo "test.sh: npm ci in tests/browser failed" >&2; return 1; }
}

ensure_prerequisites() {
  section "Prerequisites"
  ensure_dotnet || return 1
  ensure_npm_tools || return 1
  ensure_browser_tests || return 1
}

ensure_prerequisites || finish 0 0 0 1

# ----- 2. Build once -----
section "Build ($SOLUTION, $CONFIGURATION)"
# -nr:false: no MSBuild worker nodes left running after the build.
if ! dotnet build "$SOLUTION" -c "$CONFIGURATION" -nologo -v quiet -nr:false; then
  echo "test.sh: the build failed; no tests were run." >&2
  finish 0 0 0 1
fi

# ----- 3. Find the test projects -----
# Test projects are the solution's projects named *.Tests (tests/WsRooms.<Area>.Tests).
mapfile -t projects < <(dotnet sln "$SOLUTION" list | tr '\\' '/' | grep -E '(^|/)[^/]+\.Tests\.csproj$' | sort)
if (( ${#projects[@]} == 0 )); then
  echo "test.sh: no test projects (*.Tests.csproj) in $SOLUTION" >&2
  finish 0 0 0 1
fi

rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

# ----- 4. How one project's results are counted -----
# From the trx (grep, no other tool needed): outcome Passed counts as passed; Failed, Error, Timeout and
# Aborted as failed; NotExecuted (skipped) and anything else as skipped. A test that hung or was running
# when the test host crashed is in no trx: the blame collector's sequence file lists it with
# Completed="False", and it counts as failed. A run that failed with no failed test to show for it
# (no trx, a crash before any test) counts as one failure, so the last line never reads "0 failed"
# for a run that did not pass.
unescape() { sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'; }

count_project() { # name results-dir exit-code: adds to the totals and the summary
  local name=$1 dir=$2 code=$3 trx=$2/$1.trx outcomes p=0 f=0 s=0 n=0 note=""
  local -a sequences hung
  if [[ -f $trx ]]; then
    outcomes=$(grep -ho '<UnitTestResult [^>]*' "$trx" | grep -o ' outcome="[A-Za-z]*"' | cut -d'"' -f2)
    if [[ -n $outcomes ]]; then
      n=$(grep -c . <<<"$outcomes")
      p=$(grep -cx 'Passed' <<<"$outcomes")
      f=$(grep -cxE 'Failed|Error|Timeout|Aborted' <<<"$outcomes")
      s=$(( n - p - f ))
    fi
  else
    note="no trx file"
  fi
  # Blame writes the same sequence file twice (an attachment and a copy); read each name once.
  mapfile -t sequences < <(find "$dir" -name 'Sequence_*.xml' 2>/dev/null | awk -F/ '!seen[$NF]++')
  if (( ${#sequences[@]} )); then
    mapfile -t hung < <(grep -ho '<Test [^>]*Completed="False"[^>]*' "${sequences[@]}" \
      | sed -n 's/.* DisplayName="\([^"]*\)".*/\1/p' | unescape | sort -u)
    if (( ${#hung[@]} )); then
      f=$(( f + ${#hung[@]} ))
      note="hung or crashed: ${hung[*]}"
    fi
  fi
  if (( code != 0 && f == 0 )); then
    f=1
    note="${note:+$note; }dotnet test exited $code"
  fi
  summary+=("$(printf '  %-28s %4d passed, %d failed%s%s' "$name" "$p" "$f" \
    "$( (( s )) && echo ", $s skipped")" "${note:+  ($note)}")")
  (( passed += p, failed += f, skipped += s ))
  (( f == 0 )) || status=1
}

# ----- 5. Run each test project, one after another -----
passed=0 failed=0 skipped=0 status=0 summary=()
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  results=$RESULTS_DIR/$name
  section "$name"
  dotnet test "$project" -c "$CONFIGURATION" --no-build --nologo \
    --results-directory "$results" \
    --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=minimal" \
    --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none \
    "$@"
  count_project "$name" "$results" $?
done

# ----- 6. The browser tests, after the .NET projects -----
# tests/browser: node's test runner drives headless Chromium against a cluster it starts with run.sh (the Release
# build above). Counted from its TAP report: "# pass N", "# fail N" (+ cancelled) and "# skipped N" (+ todo).
count_browser() { # tap-file exit-code
  local tap=$1 code=$2 p=0 f=0 s=0 note=""
  tap_count() { local n; n=$(sed -n "s/^# $1 \([0-9][0-9]*\)$/\1/p" "$tap" | tail -n 1); echo "${n:-0}"; }
  if [[ -s $tap ]] && grep -q '^# pass ' "$tap"; then
    p=$(tap_count pass) f=$(( $(tap_count fail) + $(tap_count cancelled) )) s=$(( $(tap_count skipped) + $(tap_count todo) ))
  else
    note="no TAP summary"
  fi
  if (( code != 0 && f == 0 )); then
    f=1
    note="${note:+$note; }node --test exited $code"
  fi
  summary+=("$(printf '  %-28s %4d passed, %d failed%s%s' "browser (tests/browser)" "$p" "$f" \
    "$( (( s )) && echo ", $s skipped")" "${note:+  ($note)}")")
  (( passed += p, failed += f, skipped += s ))
  (( f == 0 )) || status=1
}
section "Browser tests (tests/browser)"
browser_tap=$ROOT/$RESULTS_DIR/browser/browser.tap
mkdir -p "$(dirname "$browser_tap")"
(cd tests/browser && timeout -k 30s "${WSROOMS_BROWSER_TEST_TIMEOUT:-10m}" node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$browser_tap")
count_browser "$browser_tap" $?

section "Summary"
printf '%s\n' "${summary[@]}"
echo "Results (trx): $RESULTS_DIR/<project>/"
finish "$passed" "$failed" "$skipped" "$status"
