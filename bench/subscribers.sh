#!/usr/bin/env bash
# bench/subscribers.sh — the live change feed under 1,000 WebSocket subscribers.
#
# Builds the server from this tree, makes a fresh PostgreSQL database
# (callcfg_subbench, dropped at exit), and runs bench/subscribers: one
# `callcfg serve` on 127.0.0.1, N subscribers (graphql-transport-ws, one
# subscription each, managers of one call, 200 users with one key each),
# then CHANGES writes through REST one after the other. It prints the
# latency from each write's response to each subscriber's receipt (p50, p99,
# max, over CHANGES x N deliveries) and the server's RSS before and after the
# subscribers connected, divided by N: the memory of an idle subscriber.
# Loopback only, bounded by TIMEOUT; everything started is stopped.
#
#   bench/subscribers.sh                 # 1,000 subscribers, 20 changes
#   N=200 CHANGES=5 bench/subscribers.sh # a quick look
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000} CHANGES=${CHANGES:-20} TIMEOUT=${TIMEOUT:-5m}
PGADMIN=${PGADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
DB=callcfg_subbench
OUT=$(mktemp -d)
trap 'psql "$PGADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
command -v psql >/dev/null || apt-get install -y postgresql-client >/dev/null
go build -o "$OUT/callcfg" "$ROOT/cmd/callcfg"
go build -o "$OUT/subscribers" "$ROOT/bench/subscribers"
psql "$PGADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
URL=$(printf '%s' "$PGADMIN" | sed -E "s#/[^/?]*(\?|$)#/$DB\1#")
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$OUT/subscribers" -bin "$OUT/callcfg" -database-url "$URL" -subscribers "$N" -changes "$CHANGES" -timeout "$TIMEOUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
