# shellcheck shell=bash
# =============================================================================
# bench/peers-plugin.sh — puts callcfg into /work/shared/peers/run.sh, so that
# it is measured by the peers' own harness, interleaved with pgbench and
# PostGraphile, on the same data, cases, load shape and Lua RESULT line.
#
# Sourced by run.sh (PEERS_PLUGIN=bench/peers-plugin.sh); bench/run.sh --peers
# invokes it as
#   PEERS_PLUGIN=bench/peers-plugin.sh SYSTEMS="pgbench pg5 callcfg callcfg_rest" run.sh
# with these variables (bench/run.sh has built, seeded and keyed already):
#   CALLCFG_BIN           the server binary
#   CALLCFG_TEMPLATE_DB   the database seeded through `callcfg call import` (peers' data)
#   CALLCFG_PEERS_DB      the copy our server runs on in the peers' run (re-made each round)
#   CALLCFG_PGADMIN       admin URL of the PostgreSQL cluster
#   CALLCFG_KEY           the API key of the staff user "bench"
#   CALLCFG_GEN           bench/run.sh's gen/ (request bodies, Lua, uuids)
#   CALLCFG_SERVE_ENV     extra environment for serve (e.g. LOG_LEVEL=warn), may be empty
#   CALLCFG_SERVE_EXTRA   extra serve flags (e.g. --playground=false)
#   CALLCFG_ADMIN_PORT    port of serve's admin listener (pprof, /metrics) in this run;
#                         not HTTP_PORT, nor bench/run.sh's PORT/ADMIN_PORT (default 5072)
#
# Our schema is not the peers' "peers" database, so the server runs on its own
# copy of the same data. Systems added:
#   callcfg       GraphQL: $GEN/<case>_callcfg.{json,lua}, then the peers' bench_http_system
#   callcfg_rest  the REST twins (GET list with X-Result-Count, GET one, PATCH), with the
#                 peers' wrk_once per case (same warm-up, measured run, RESULT line, results.tsv)
# Our API needs a key: the Lua sends the Authorization header; the peers' curl
# readiness and body checks get it from a .curlrc (CURL_HOME) set only while
# callcfg is measured. The peers' log-based SQL check is skipped for callcfg
# (it counts the peers' database user only); bench/run.sh reports statements per
# request from the server's /metrics instead. /metrics is served only on serve's
# admin listener, which runs here too (127.0.0.1:$CALLCFG_ADMIN_PORT), so the
# server measured is configured as in bench/run.sh's own loop.
# =============================================================================

: "${CALLCFG_BIN:?run through bench/run.sh --peers}" "${CALLCFG_TEMPLATE_DB:?}" "${CALLCFG_KEY:?}" "${CALLCFG_GEN:?}"
CALLCFG_PEERS_DB=${CALLCFG_PEERS_DB:-${CALLCFG_TEMPLATE_DB}_peers}
CALLCFG_PGADMIN=${CALLCFG_PGADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
CALLCFG_ADMIN_PORT=${CALLCFG_ADMIN_PORT:-5072}
CALLCFG_ONE_UUID=20a25e90-01e8-469d-814e-6a7b78c1700b
CALLCFG_API=/api/call-assignment-configurations/

callcfg_psql() { env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE psql -X -v ON_ERROR_STOP=1 -qAt "$CALLCFG_PGADMIN" "$@"; }
callcfg_dburl() {
  local base=${CALLCFG_PGADMIN%%\?*} q=""
  [[ $CALLCFG_PGADMIN == *\?* ]] && q=${CALLCFG_PGADMIN#*\?}
  printf '%s/%s?%s' "${base%/*}" "$1" "${q:-sslmode=disable}"
}

# request bodies and Lua: the very files bench/run.sh measures with, under the peers' names
callcfg_files() {
  local c
  for c in a b c c_rand; do
    cp "$CALLCFG_GEN/graphql_$c.lua" "$GEN/${c}_callcfg.lua"
    cp "$CALLCFG_GEN/graphql_$c.json" "$GEN/${c}_callcfg.json"
    cp "$CALLCFG_GEN/rest_$c.lua" "$GEN/${c}_callcfg_rest.lua"
  done
  mkdir -p "$PEERS_DIR/callcfg-curl"
  ( umask 077; printf 'header = "Authorization: Token %s"\n' "$CALLCFG_KEY" > "$PEERS_DIR/callcfg-curl/.curlrc" )
}

# fresh copy of the seeded database, server on HTTP_PORT, SERVER_PID set
callcfg_start() {  # logname
  local err
  err=$(callcfg_psql -c "DROP DATABASE IF EXISTS $CALLCFG_PEERS_DB WITH (FORCE)" \
                     -c "CREATE DATABASE $CALLCFG_PEERS_DB TEMPLATE $CALLCFG_TEMPLATE_DB" 2>&1) \
    || { echo "callcfg: could not copy $CALLCFG_TEMPLATE_DB: $err" >&2; return 1; }
  local url; url=$(callcfg_dburl "$CALLCFG_PEERS_DB")
  env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE psql -X -qAt "$url" -c "CHECKPOINT" >/dev/null
  # shellcheck disable=SC2086  # CALLCFG_SERVE_ENV / _EXTRA are word lists
  env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE DATABASE_URL="$url" $CALLCFG_SERVE_ENV \
    "$CALLCFG_BIN" serve --addr "127.0.0.1:$HTTP_PORT" --admin-addr "127.0.0.1:$CALLCFG_ADMIN_PORT" $CALLCFG_SERVE_EXTRA >> "$OUT/$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -q -fsS -m 1 -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "callcfg exited at start (see $OUT/$1.log)" >&2; return 1; }
    sleep 0.1
  done
  echo "callcfg not healthy on 127.0.0.1:$HTTP_PORT" >&2; return 1
}
callcfg_trim_log() {  # access logs can be large: keep head and tail
  local f=$OUT/$1.log
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 5000000 ] || return 0
  { head -n 200 "$f"; echo "... trimmed ..."; tail -n 200 "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
}

run_callcfg() {  # round
  log "round $1: callcfg GraphQL ($(basename "$CALLCFG_BIN") serve, database $CALLCFG_PEERS_DB)"; calib "round$1/callcfg"
  callcfg_files
  callcfg_start callcfg || { stop_server; return 0; }
  local url=http://127.0.0.1:$HTTP_PORT/graphql cas r
  # our own pre-check with the key, so that a broken face skips this system instead of ending the peers' run
  for cas in $CASES; do
    r=$(curl -q -sS -m 10 -H "Authorization: Token $CALLCFG_KEY" -H 'Content-Type: application/json' --data @"$GEN/${cas}_callcfg.json" "$url" || true)
    if ! grep -q '"data"' <<< "$r" || grep -q '"errors"' <<< "$r"; then
      echo "callcfg/$cas: bad response, callcfg skipped this round: ${r:0:300}" >&2
      stop_server; return 0
    fi
  done
  local SQLCHECK=0            # the peers' log-based count only sees their own database user
  export CURL_HOME=$PEERS_DIR/callcfg-curl
  bench_http_system callcfg "$1" "$url"
  unset CURL_HOME
  stop_server
  callcfg_trim_log callcfg
}

run_callcfg_rest() {  # round
  log "round $1: callcfg REST twins (GET list / GET one / PATCH)"; calib "round$1/callcfg_rest"
  callcfg_files
  callcfg_start callcfg_rest || { stop_server; return 0; }
  local base=http://127.0.0.1:$HTTP_PORT$CALLCFG_API one=${CALLCFG_ONE_UUID//-/} cas url code run hdr
  local auth="Authorization: Token $CALLCFG_KEY"
  for cas in $CASES; do
    case $cas in
      a) url="$base?page_size=20"
         hdr=$(curl -q -sS -m 10 -D - -o /dev/null -H "$auth" "$url" || true)
         code=$(awk 'NR == 1 {print $2}' <<< "$hdr")
         [ "$code" = 200 ] && ! grep -qi '^X-Result-Count:' <<< "$hdr" && code="200 without X-Result-Count" ;;
      b) url="$base$one/"
         code=$(curl -q -sS -m 10 -o /dev/null -w '%{http_code}' -H "$auth" "$url" || true) ;;
      c|c_rand) url="$base$one/"
         code=$(curl -q -sS -m 10 -o /dev/null -w '%{http_code}' -X PATCH -H "$auth" -H 'Content-Type: application/json' \
                --data '{"max_auto_reassign_attempts": 5}' "$url" || true)
         [ "$cas" = c_rand ] && url=$base ;;   # the Lua draws the uuid of each request
    esac
    if [ "$code" != 200 ]; then echo "callcfg_rest/$cas: pre-check got $code; case skipped" >&2; continue; fi
    printf 'callcfg_rest/%s\t%s\n' "$cas" "$url" >> "$OUT/responses.txt"
    for run in 0 "$1"; do wrk_once callcfg_rest "$cas" "$run" "$url" "$GEN/${cas}_callcfg_rest.lua" || true; done
  done
  stop_server
  callcfg_trim_log callcfg_rest
}
