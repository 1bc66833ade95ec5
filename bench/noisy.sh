#!/usr/bin/env bash
# bench/noisy.sh — the noisy-neighbour test of issue 9, on SQLite and PostgreSQL.
#
# For each database: a fresh database with 200 calls and configurations, a
# staff user (the well-behaved clients' key), a user with no roles (the
# abuser's key) and a user with a password (the target of the password
# guessing); `callcfg serve` with its defaults and the production settings of
# the README (--allowed-hosts, introspection and suggestions off); then
# bench/noisy (Go) runs 16
# well-behaved clients alone and beside one abusive client per finding, and
# prints one table per database. Loopback only, every phase bounded.
#
#   bench/noisy.sh                 # PHASE=5s CLIENTS=16 PORT=5090
#   DBS=sqlite PHASE=3s bench/noisy.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PHASE=${PHASE:-5s}
CLIENTS=${CLIENTS:-16}
PORT=${PORT:-5090}
DBS=${DBS:-"sqlite postgres"}
PGADMIN=${PGADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=$(mktemp -d /tmp/callcfg-noisy.XXXX)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

cd "$ROOT"
go build -o "$OUT/callcfg" ./cmd/callcfg
go build -o "$OUT/noisy" ./bench/noisy
BIN=$OUT/callcfg

seed() {  # database URL
  local url=$1 org lines="$OUT/seed.jsonl"
  org=$(cat /proc/sys/kernel/random/uuid)
  : > "$lines"
  for i in $(seq 200); do
    printf '{"call":{"uuid":"%s","name":"Call %d","state":"active","organisation":{"uuid":"%s","name":"Council"}},"configuration":{"uuid":"%s","auto_reassign_on_decline":false,"max_auto_reassign_attempts":3,"assignment_expiration_days":7,"send_reminder_before_expiry_days":2}}\n' \
      "$(cat /proc/sys/kernel/random/uuid)" "$i" "$org" "$(cat /proc/sys/kernel/random/uuid)" >> "$lines"
  done
  DATABASE_URL=$url "$BIN" call import --file "$lines" >/dev/null 2>&1
  DATABASE_URL=$url "$BIN" user create --username bench --staff >/dev/null 2>&1
  DATABASE_URL=$url "$BIN" user create --username nobody >/dev/null 2>&1
  printf 'correct horse\n' | DATABASE_URL=$url "$BIN" user create --username manager --password-stdin >/dev/null 2>&1
  GOOD=$(DATABASE_URL=$url "$BIN" token create --username bench 2>/dev/null)
  BAD=$(DATABASE_URL=$url "$BIN" token create --username nobody 2>/dev/null)
  CONFIG=$(sed -n '1s/.*"configuration":{"uuid":"\([^"]*\)".*/\1/p' "$lines")
}

for kind in $DBS; do
  case $kind in
    sqlite) url="sqlite://$OUT/noisy.db" ;;
    postgres)
      psql -X -q "$PGADMIN" -c "DROP DATABASE IF EXISTS callcfg_noisy WITH (FORCE)" -c "CREATE DATABASE callcfg_noisy" >/dev/null
      url=${PGADMIN/\/postgres\?/\/callcfg_noisy?} ;;
    *) echo "unknown database $kind" >&2; exit 2 ;;
  esac
  seed "$url"
  DATABASE_URL=$url "$BIN" serve --addr "127.0.0.1:$PORT" --playground=false --log-level=warn --drain-delay=0 \
    --allowed-hosts=127.0.0.1 --introspection=false --suggestions=false \
    > "$OUT/server-$kind.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
  "$OUT/noisy" -url "http://127.0.0.1:$PORT" -key "$GOOD" -abuser-key "$BAD" -config "${CONFIG//-/}" \
    -clients "$CLIENTS" -phase "$PHASE" -pid "$SERVER_PID" -db "$kind"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  [ "$kind" = postgres ] && psql -X -q "$PGADMIN" -c "DROP DATABASE IF EXISTS callcfg_noisy WITH (FORCE)" >/dev/null
done
echo "server logs: $OUT"
