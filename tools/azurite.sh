#!/usr/bin/env bash
# Starts Azurite, the Azure Storage emulator pinned in tools/package.json, in the foreground on 127.0.0.1, with its
# data in memory (a fresh, empty account on every start). Installs it first (npm ci) when tools/node_modules lacks it.
#
#   tools/azurite.sh PORT                 blob on PORT, queue on PORT+1, table on PORT+2; Ctrl-C stops it
#   tools/azurite.sh --connection-string PORT
#                                         prints the connection string for an Azurite started on PORT, and exits
#
# The account is Azurite's built-in development account; its key is published in Azurite's documentation and
# works only against the emulator: it is not a secret.
set -euo pipefail

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

connection_string() { # blob-port
  local p=$1
  echo "DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$p/$ACCOUNT;QueueEndpoint=http://127.0.0.1:$((p + 1))/$ACCOUNT;TableEndpoint=http://127.0.0.1:$((p + 2))/$ACCOUNT;"
}

die() { echo "azurite.sh: $*" >&2; exit 2; }
is_port() { [[ ${1:-} =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= 65533 )); }

if [[ ${1:-} == --connection-string ]]; then
  is_port "${2:-}" || die "usage: tools/azurite.sh --connection-string PORT"
  connection_string "$2"
  exit 0
fi
is_port "${1:-}" || die "usage: tools/azurite.sh PORT   (blob PORT, queue PORT+1, table PORT+2)"
port=$1

if [[ ! -x $TOOLS/node_modules/.bin/azurite ]]; then
  command -v npm >/dev/null || die "npm is not on PATH; install Node.js (20 or later) to run Azurite"
  echo "Installing Azurite (npm ci in tools/)..." >&2
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci failed in $TOOLS"
fi

# --skipApiVersionCheck: the Azure SDKs Orleans uses are newer than this Azurite knows (refused otherwise).
exec "$TOOLS/node_modules/.bin/azurite" --silent --inMemoryPersistence --extentMemoryLimit 512 \
  --blobHost 127.0.0.1 --blobPort "$port" \
  --queueHost 127.0.0.1 --queuePort $((port + 1)) \
  --tableHost 127.0.0.1 --tablePort $((port + 2)) \
  --skipApiVersionCheck --disableTelemetry
