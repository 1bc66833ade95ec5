#!/usr/bin/env bash
# =============================================================================
# bench/run.sh [--peers] — the reproducible benchmark of issue 5.
#
# One command: installs what is missing (wrk, psql/pgbench, curl, jq), builds
# the server, creates a fresh PostgreSQL database and seeds the peers' 10,000
# calls + configurations through `callcfg call import`, creates a staff user
# and API key through the CLI, then measures, interleaved case by case:
#
#   pgbench  the peers' SQL straight to PostgreSQL (the limit of any server)
#   graphql  `callcfg serve` /graphql: cases a, b, c, c_rand
#   rest     `callcfg serve` /api/...: the twins rest_a, rest_b, rest_c, rest_c_rand
#
# and prints one markdown table (req/s, p50, p99, peak RSS, SQL statements per
# request, ratio to the pgbench limit; with --peers the ratio to PostGraphile v5
# measured in the same invocation by /work/shared/peers/run.sh + bench/peers-plugin.sh).
#
# Load goes to 127.0.0.1 only; every load run is bounded (wrk -d, pgbench -T,
# an outer `timeout`); servers started here are stopped by PID on exit.
# Results: bench/out/<timestamp>/ (results.tsv, table.md, raw/, gen/, ...).
#
# Knobs (environment), defaults in brackets:
#   DUR [10] WARM [3] RUNS [2] CONNS [32] THREADS [2] PORT [5070]
#   CASES ["a b c c_rand"]   base cases; each is run by pgbench, GraphQL and REST (rest_<case>)
#   SYSTEMS ["pgbench graphql rest"]   PGB_EXTRA ["a_nocount a_countonly"]
#   PGB_CLIENTS [8] PGB_JOBS [2]   PROBE_N [50] (requests per page size in the page-size probe)
#   PGADMIN [postgres://postgres@127.0.0.1:5432/postgres]   DB [callcfg_bench]
#   ADMIN_PORT [5071] (serve --admin-addr 127.0.0.1:$ADMIN_PORT: /metrics is read there)
#   SERVE_EXTRA [""] more serve flags, e.g. "--db-prepared-statements=off"
#   SERVER_DB_PORT [""] the server's DATABASE_URL goes to this port of PGADMIN's host instead
#            (PgBouncer: 6432), with DATABASE_DIRECT_URL the direct one (bench/pgbouncer.sh)
#   --peers: PEERS_DIR [/tmp/peers] PEERS_SYSTEMS ["hello pgbench pg5 callcfg callcfg_rest"]
#            PEERS_RUN [/work/shared/peers/run.sh] PEERS_TIMEOUT [3600] HTTP_PORT [5050]
#            PEERS_ADMIN_PORT [5072] (the admin listener of our server in the peers' run)
# =============================================================================
set -euo pipefail

usage() { sed -n '2,/^# ====/p' "$0" | sed 's/^# \{0,1\}//' >&2; }
WITH_PEERS=0
REPORT=""
while [ $# -gt 0 ]; do
  case $1 in
    --peers) WITH_PEERS=1 ;;
    --report) REPORT=${2:?--report needs a results directory}; shift ;;   # re-print the table of a finished run
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (usage: bench/run.sh [--peers] | --report bench/out/<timestamp>)" >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
DUR=${DUR:-10}
WARM=${WARM:-3}
RUNS=${RUNS:-2}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-5070}
ADMIN_PORT=${ADMIN_PORT:-5071}
CASES=${CASES:-"a b c c_rand"}
SYSTEMS=${SYSTEMS:-"pgbench graphql rest"}
PGB_EXTRA=${PGB_EXTRA-"a_nocount a_countonly"}
PGB_CLIENTS=${PGB_CLIENTS:-8}
PGB_JOBS=${PGB_JOBS:-2}
PROBE_N=${PROBE_N:-50}
SERVE_EXTRA=${SERVE_EXTRA:-}
SERVER_DB_PORT=${SERVER_DB_PORT:-}
PGADMIN=${PGADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${DB:-callcfg_bench}
WORKDB=${DB}_work
PEERS_DIR=${PEERS_DIR:-/tmp/peers}
PEERS_RUN=${PEERS_RUN:-/work/shared/peers/run.sh}
PEERS_SYSTEMS=${PEERS_SYSTEMS:-"hello pgbench pg5 callcfg callcfg_rest"}
PEERS_TIMEOUT=${PEERS_TIMEOUT:-3600}
HTTP_PORT=${HTTP_PORT:-5050}
PEERS_ADMIN_PORT=${PEERS_ADMIN_PORT:-5072}

# CASES may also name the REST twins (rest_a ...): they map to their base case.
CASES=$(for c in $CASES; do echo "${c#rest_}"; done | awk '!seen[$0]++' | tr '\n' ' ')
for c in $CASES; do
  case $c in a|b|c|c_rand) ;; *) echo "unknown case '$c' (a b c c_rand)" >&2; exit 2 ;; esac
done
for s in $SYSTEMS; do
  case $s in pgbench|graphql|rest) ;; *) echo "unknown system '$s' (pgbench graphql rest)" >&2; exit 2 ;; esac
done
# our server, its admin listener, the peers' server port and our server's admin listener in their run
if [ "$(printf '%s\n' "$PORT" "$ADMIN_PORT" "$HTTP_PORT" "$PEERS_ADMIN_PORT" 5060 | sort -u | wc -l)" != 5 ]; then
  echo "PORT ($PORT), ADMIN_PORT ($ADMIN_PORT), HTTP_PORT ($HTTP_PORT), PEERS_ADMIN_PORT ($PEERS_ADMIN_PORT) and the peers' HELLO_PORT (5060) must differ" >&2; exit 2
fi

ONE_ID=5000
ONE_UUID=20a25e90-01e8-469d-814e-6a7b78c1700b   # the peers' config #5000 (cases b and c)
ONE_HEX=${ONE_UUID//-/}
API=/api/call-assignment-configurations/

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH/out/$STAMP
[ -n "$REPORT" ] && OUT=$(cd "$REPORT" && pwd)
GEN=$OUT/gen
RAW=$OUT/raw
RESULTS=$OUT/results.tsv
BIN=$OUT/callcfg
CLK=$(getconf CLK_TCK)
T_START=$(date +%s)

SERVER_PID=""
PEERS_PID=""
SEEDED=0

log() { printf '\n### %s\n' "$*" >&2; }
note() { printf '  %s\n' "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# process hygiene: only one bench at a time; everything started here is stopped by PID
# ---------------------------------------------------------------------------
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  local rc=$?
  stop_server
  if [ -n "$PEERS_PID" ] && kill -0 "$PEERS_PID" 2>/dev/null; then
    kill "$PEERS_PID" 2>/dev/null || true          # its own EXIT trap stops its server (after its wrk/pgbench run ends)
    for _ in $(seq $(( (DUR + 20) * 10 ))); do kill -0 "$PEERS_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$PEERS_PID" 2>/dev/null || true
  fi
  psql_admin -c "DROP DATABASE IF EXISTS $WORKDB WITH (FORCE)" >/dev/null 2>&1 || true
  # keep the seeded database for inspection, connectable again
  [ "$SEEDED" = 1 ] && { psql_admin -c "ALTER DATABASE $DB WITH ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true; }
  exit $rc
}
prepare() {
  exec 9>/tmp/callcfg-bench.lock
  flock -n 9 || die "another bench/run.sh is running (lock /tmp/callcfg-bench.lock)"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$GEN" "$RAW"
  ln -sfn "$STAMP" "$BENCH/out/latest"
  printf 'system\tcase\tround\trps\tp50_ms\tp99_ms\trequests\terrors\tstmts_per_req\tpeak_rss_mib\tserver_cpu_pct\tmean_ms\tnote\tdb_cpu_pct\tmachine_busy_pct\n' > "$RESULTS"
}

# libpq: a full URL wins over PG* variables, but unset them anyway
psql_url() { local u=$1; shift; env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE psql -X -v ON_ERROR_STOP=1 -qAt "$u" "$@"; }
psql_admin() { psql_url "$PGADMIN" "$@"; }
db_url() {  # dbname [extra query]  -> the admin URL with its database replaced
  local base=${PGADMIN%%\?*} q=""
  [[ $PGADMIN == *\?* ]] && q=${PGADMIN#*\?}
  base="${base%/*}/$1"
  printf '%s?%s' "$base" "${q:-sslmode=disable}"
}

# ---------------------------------------------------------------------------
# 1. tools, build
# ---------------------------------------------------------------------------
install_tools() {
  log "tools"
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v psql >/dev/null || need+=(postgresql-client)
  command -v pgbench >/dev/null || need+=(postgresql-client)
  command -v curl >/dev/null || need+=(curl)
  command -v jq >/dev/null || need+=(jq)
  if [ ${#need[@]} -gt 0 ]; then
    note "installing ${need[*]}"
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
  fi
  command -v go >/dev/null || die "go is not installed (the module needs Go 1.26)"
  note "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(pgbench --version), $(go version | awk '{print $3}')"
}

build() {
  log "build"
  (cd "$ROOT" && go build -o "$BIN" ./cmd/callcfg)
  note "$BIN ($(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo no-git))"
  # serve's options as they are today; the bench adapts when they grow
  local help; help=$("$BIN" serve -h 2>&1 || true)
  # SERVE_FLAGS: the flags of our server in both runs (ours and the peers'); each run adds its own
  # --addr and --admin-addr
  SERVE_FLAGS=(--playground=false)
  # shellcheck disable=SC2206 # SERVE_EXTRA is a list of flags
  [ -z "$SERVE_EXTRA" ] || SERVE_FLAGS+=($SERVE_EXTRA)
  SERVE_ENV=()
  if grep -q -- '-log-level' <<< "$help"; then
    SERVE_FLAGS+=(--log-level=warn); LOGNOTE="access logging at warn (serve --log-level=warn)"
  elif grep -q 'LOG_LEVEL' <<< "$help"; then
    SERVE_ENV+=(LOG_LEVEL=warn); LOGNOTE="access logging at warn (LOG_LEVEL=warn)"
  else
    LOGNOTE="serve has no log-level setting: it logs at its default level (to raw/server_*.log)"
  fi
  # /metrics is served on serve's admin listener only (pprof beside it), so the bench always
  # turns it on and reads the metrics there
  grep -q -- '-admin-addr' <<< "$help" || die "serve has no --admin-addr: the bench reads /metrics there"
  SERVE_ARGS=(serve --addr "127.0.0.1:$PORT" --admin-addr "127.0.0.1:$ADMIN_PORT" "${SERVE_FLAGS[@]}")
  METRICS_URL="http://127.0.0.1:$ADMIN_PORT/metrics"
  note "$LOGNOTE; metrics read on $METRICS_URL"
}

# ---------------------------------------------------------------------------
# 2. database: the peers' data through the CLI, kept as a template; every
#    measurement runs on a fresh copy ($WORKDB) so all start from one state
# ---------------------------------------------------------------------------
UUID_EXPR="overlay(overlay(md5(%s) placing '4' from 13 for 1) placing '8' from 17 for 1)::uuid"
gen_seed() {  # -> $GEN/seed.jsonl, the `callcfg call import` format
  local cu fu ou
  # shellcheck disable=SC2059
  { cu=$(printf "$UUID_EXPR" "'call-' || i"); fu=$(printf "$UUID_EXPR" "'cfg-' || i"); ou=$(printf "$UUID_EXPR" "'org-bench'"); }
  psql_admin -c "SET TimeZone = 'UTC'" -c "
    SELECT json_build_object(
      'call', json_build_object('uuid', $cu, 'name', 'Call ' || i, 'description', '', 'state', 'active',
               'organisation', json_build_object('uuid', $ou, 'name', 'Bench organisation'),
               'created', ts, 'modified', ts),
      'configuration', json_build_object('uuid', $fu,
               'auto_reassign_on_decline', i % 2 = 0, 'max_auto_reassign_attempts', 3 + i % 3,
               'assignment_expiration_days', 7 + i % 5, 'send_reminder_before_expiry_days', 2 + i % 2,
               'created', ts, 'modified', ts))
    FROM generate_series(1, 10000) AS i,
         LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' AS ts) AS t
    ORDER BY i" > "$GEN/seed.jsonl"
  [ "$(wc -l < "$GEN/seed.jsonl")" = 10000 ] || die "seed generation failed"
}

seed() {
  log "database $DB: 10,000 calls with one configuration each, through the CLI"
  gen_seed
  psql_admin -c "DROP DATABASE IF EXISTS $WORKDB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
             -c "CREATE DATABASE $DB" 2>&1 | grep -v NOTICE || true
  local url; url=$(db_url "$DB")
  DATABASE_URL=$url "$BIN" call import --file "$GEN/seed.jsonl" > "$RAW/import.txt" 2>&1 || { cat "$RAW/import.txt" >&2; die "import failed"; }
  note "import: $(tr '\n' ' ' < "$RAW/import.txt")"
  psql_url "$url" -c "VACUUM ANALYZE"
  local n u name
  n=$(psql_url "$url" -c "SELECT count(*) FROM call_assignment_configurations c JOIN calls k ON k.id = c.call_id")
  [ "$n" = 10000 ] || die "seed: $n configurations with a call, want 10000"
  u=$(psql_url "$url" -c "SELECT uuid FROM call_assignment_configurations WHERE id = $ONE_ID")
  name=$(psql_url "$url" -c "SELECT k.name FROM call_assignment_configurations c JOIN calls k ON k.id = c.call_id WHERE c.id = $ONE_ID")
  [ "$u" = "$ONE_UUID" ] && [ "$name" = "Call $ONE_ID" ] \
    || die "seed: config #$ONE_ID is $u of '$name', want $ONE_UUID of 'Call $ONE_ID' (the peers' mapping)"
  note "config #$ONE_ID = $u (as the peers'), ids follow the peers' order"
  psql_url "$url" -c "SELECT uuid FROM call_assignment_configurations ORDER BY id" > "$GEN/uuids.txt"
  tr -d '-' < "$GEN/uuids.txt" > "$GEN/uuids_hex.txt"
  DATABASE_URL=$url "$BIN" user create --username bench --staff > "$RAW/user.txt" 2>&1 || { cat "$RAW/user.txt" >&2; die "user create failed"; }
  KEY=$(DATABASE_URL=$url "$BIN" token create --username bench 2> "$RAW/token.txt") || { cat "$RAW/token.txt" >&2; die "token create failed"; }
  [ -n "$KEY" ] || die "token create printed no key"
  note "staff user bench and an API key created"
  # The seeded database is only a template from here on: a copy is made for every measurement,
  # and a copy needs a template nobody is connected to (servers left pointing at it included).
  psql_admin -c "ALTER DATABASE $DB WITH ALLOW_CONNECTIONS false" \
    -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DB'" >/dev/null
  SEEDED=1
}

fresh_db() {  # a copy of the seeded database for one measurement
  local err
  err=$(psql_admin -c "DROP DATABASE IF EXISTS $WORKDB WITH (FORCE)" -c "CREATE DATABASE $WORKDB TEMPLATE $DB" 2>&1) \
    || die "could not copy $DB to $WORKDB: $err"
  psql_url "$(db_url "$WORKDB")" -c "CHECKPOINT" >/dev/null
}

# ---------------------------------------------------------------------------
# 3. workload files: GraphQL bodies, wrk Lua (RESULT line of the peers' lua_common), pgbench SQL
# ---------------------------------------------------------------------------
FIELDS='uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays created modified call { uuid name }'
# case a lists in id order like the peers (created follows the id in this data; the API's default is newest first)
gql_list() { printf 'query ListConfigs { callAssignmentConfigurations(first: %s, orderBy: [{field: CREATED, direction: ASC}]) { totalCount nodes { %s } } }' "$1" "$FIELDS"; }
GQL_ONE="query OneConfig(\$uuid: UUID!) { callAssignmentConfiguration(uuid: \$uuid) { $FIELDS } }"
GQL_UPD='mutation UpdateConfig($uuid: UUID!, $n: Int!) { updateCallAssignmentConfiguration(input: {uuid: $uuid, maxAutoReassignAttempts: $n}) { callAssignmentConfiguration { uuid maxAutoReassignAttempts modified } } }'
REST_PATCH='{"max_auto_reassign_attempts": 5}'

# the peers' lua_common, verbatim: the same RESULT line
lua_common='
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
function done(summary, latency, requests)
  local bad, gql = 0, 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0); gql = gql + (t:get("gql") or 0) end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f mean_us=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f sockerr=%d non2xx=%d bad=%d gqlerr=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, bad, gql))
end
'
lua_check_gql='
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1
  elseif string.find(body, "\"errors\"", 1, true) then gql = gql + 1 end
end
'
lua_check_list='
function response(status, headers, body)
  if status ~= 200 or (headers["X-Result-Count"] == nil and headers["x-result-count"] == nil) then bad = bad + 1 end
end
'
lua_check_200='
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
'
lua_uuids() {  # uuidfile -> init() loading the uuids
  cat <<EOF
local uuids = {}
function init(args)
  bad = 0; gql = 0
  for line in io.lines("$1") do uuids[#uuids + 1] = line end
  math.randomseed(os.time() * 1000 + tid)
end
EOF
}
lua_head() {  # method [content-type]
  echo "$lua_common"
  printf 'wrk.method = "%s"\nwrk.headers["Authorization"] = "Token %s"\n' "$1" "$KEY"
  [ -n "${2:-}" ] && printf 'wrk.headers["Content-Type"] = "%s"\n' "$2"
  return 0
}
json_body() {  # query [uuid] [n]
  if [ $# -eq 1 ]; then jq -nc --arg q "$1" '{query: $q}'
  elif [ $# -eq 2 ]; then jq -nc --arg q "$1" --arg u "$2" '{query: $q, variables: {uuid: $u}}'
  else jq -nc --arg q "$1" --arg u "$2" --argjson n "$3" '{query: $q, variables: {uuid: $u, n: $n}}'; fi
}

write_workload() {
  log "workload files in $GEN"
  local U="$GEN/uuids.txt" UH="$GEN/uuids_hex.txt"
  json_body "$(gql_list 20)" > "$GEN/graphql_a.json"
  json_body "$(gql_list 300)" > "$GEN/graphql_a300.json"
  json_body "$GQL_ONE" "$ONE_UUID" > "$GEN/graphql_b.json"
  json_body "$GQL_UPD" "$ONE_UUID" 5 > "$GEN/graphql_c.json"
  json_body "$GQL_UPD" "@@U@@" 5 > "$GEN/graphql_c_rand.tmpl"
  local pre post; pre=$(sed 's/@@U@@.*//' "$GEN/graphql_c_rand.tmpl"); post=$(sed 's/.*@@U@@//' "$GEN/graphql_c_rand.tmpl")
  sed "s/@@U@@/$ONE_UUID/" "$GEN/graphql_c_rand.tmpl" > "$GEN/graphql_c_rand.json"   # for the pre-check
  printf '%s' "$REST_PATCH" > "$GEN/rest_patch.json"
  for c in a b c; do
    { lua_head POST application/json; echo 'function init(args) bad = 0; gql = 0 end'; echo "$lua_check_gql"
      printf 'wrk.body = [==[%s]==]\n' "$(cat "$GEN/graphql_$c.json")"; } > "$GEN/graphql_$c.lua"
  done
  { lua_head POST application/json; lua_uuids "$U"; echo "$lua_check_gql"
    printf 'local PRE = [==[%s]==]\nlocal POST = [==[%s]==]\n' "$pre" "$post"
    echo 'function request() return wrk.format(nil, nil, nil, PRE .. uuids[math.random(#uuids)] .. POST) end'
  } > "$GEN/graphql_c_rand.lua"
  { lua_head GET; echo 'function init(args) bad = 0; gql = 0 end'; echo "$lua_check_list"; } > "$GEN/rest_a.lua"
  { lua_head GET; echo 'function init(args) bad = 0; gql = 0 end'; echo "$lua_check_200"; } > "$GEN/rest_b.lua"
  { lua_head PATCH application/json; echo 'function init(args) bad = 0; gql = 0 end'; echo "$lua_check_200"
    printf 'wrk.body = [==[%s]==]\n' "$REST_PATCH"; } > "$GEN/rest_c.lua"
  { lua_head PATCH application/json; lua_uuids "$UH"; echo "$lua_check_200"
    printf 'local BODY = [==[%s]==]\n' "$REST_PATCH"
    echo "function request() return wrk.format(nil, \"$API\" .. uuids[math.random(#uuids)] .. \"/\", nil, BODY) end"
  } > "$GEN/rest_c_rand.lua"

  # the peers' pgbench scripts, verbatim (same column names in our schema)
  local cols='c.uuid, c.auto_reassign_on_decline, c.max_auto_reassign_attempts, c.assignment_expiration_days,
       c.send_reminder_before_expiry_days, c.created, c.modified, k.uuid AS call_uuid, k.name AS call_name'
  cat > "$GEN/pgb_a.sql" <<EOF
SELECT $cols FROM call_assignment_configurations c JOIN calls k ON k.id = c.call_id ORDER BY c.id LIMIT 20;
SELECT count(*) FROM call_assignment_configurations;
EOF
  head -n 2 "$GEN/pgb_a.sql" > "$GEN/pgb_a_nocount.sql"
  tail -n 1 "$GEN/pgb_a.sql" > "$GEN/pgb_a_countonly.sql"
  cat > "$GEN/pgb_b.sql" <<EOF
SELECT $cols FROM call_assignment_configurations c JOIN calls k ON k.id = c.call_id WHERE c.uuid = :uuid;
EOF
  cat > "$GEN/pgb_c.sql" <<'EOF'
UPDATE call_assignment_configurations SET max_auto_reassign_attempts = 5 WHERE uuid = :uuid RETURNING uuid, max_auto_reassign_attempts, modified;
EOF
  cat > "$GEN/pgb_c_rand.sql" <<'EOF'
\set id random(1, 10000)
UPDATE call_assignment_configurations SET max_auto_reassign_attempts = 5
 WHERE uuid = overlay(overlay(md5('cfg-' || :id::int) placing '4' from 13 for 1) placing '8' from 17 for 1)::uuid
 RETURNING uuid, max_auto_reassign_attempts, modified;
EOF
}

http_url() {  # system case -> wrk URL
  case $1/$2 in
    graphql/*) echo "http://127.0.0.1:$PORT/graphql" ;;
    rest/a) echo "http://127.0.0.1:$PORT$API?page_size=20" ;;
    rest/c_rand) echo "http://127.0.0.1:$PORT$API" ;;          # path set per request by the Lua
    rest/*) echo "http://127.0.0.1:$PORT$API$ONE_HEX/" ;;
  esac
}
label() { [ "$1" = rest ] && echo "rest_$2" || echo "$2"; }   # system case -> the case's name

# ---------------------------------------------------------------------------
# 4. server, checks, metrics
# ---------------------------------------------------------------------------
# server_db_url dbname -> the server's DATABASE_URL: direct, or through SERVER_DB_PORT
server_db_url() {
  local u; u=$(db_url "$1")
  [ -z "$SERVER_DB_PORT" ] && { echo "$u"; return; }
  sed -E "s#^(postgres(ql)?://[^/]*):[0-9]+/#\1:$SERVER_DB_PORT/#; t; s#^(postgres(ql)?://[^/:]*)/#\1:$SERVER_DB_PORT/#" <<< "$u"
}

start_server() {  # logfile
  env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE DATABASE_URL="$(server_db_url "$WORKDB")" \
    DATABASE_DIRECT_URL="$(db_url "$WORKDB")" ${SERVE_ENV[@]+"${SERVE_ENV[@]}"} \
    "$BIN" "${SERVE_ARGS[@]}" > "$1" 2>&1 9>&- &
  SERVER_PID=$!
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$1" >&2; die "server exited at start (see $1)"; }
    curl -fsS -m 1 -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  die "server not healthy on 127.0.0.1:$PORT after 10 s (see $1)"
}
trim_log() {  # keep big access logs small: first and last 200 lines
  local f=$1
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 5000000 ] || return 0
  { head -n 200 "$f"; echo "... [$(wc -l < "$f") lines, trimmed by bench/run.sh] ..."; tail -n 200 "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
}
statements() {  # -> value of callcfg_db_statements_total, or empty when /metrics does not answer
  curl -fsS -m 5 "$METRICS_URL" 2>/dev/null | awk '$1 == "callcfg_db_statements_total" {printf "%.0f", $2; f=1} END{exit !f}' || true
}
# CPU ticks of all "postgres" processes, and of the whole machine (busy total)
db_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '{ s = $0; l = index(s, "("); r = 0
      for (i = length(s); i > 0; i--) if (substr(s, i, 1) == ")") { r = i; break }
      if (substr(s, l + 1, r - l - 1) == "postgres") { split(substr(s, r + 2), f, " "); printf "%s %d\n", $1, f[12] + f[13] } }'
}
db_pct() {  # before-file after-file seconds -> % of one core used by postgres processes alive in both
  awk -v el="$3" -v k="$CLK" 'NR == FNR { a[$1] = $2; next } ($1 in a) { d += $2 - a[$1] } END { printf "%.0f", 100 * d / (el * k) }' "$1" "$2"
}
stat_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
vmhwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || true; }
pid_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

req() {  # system case: one request like the load sends; prints the status; body in $GEN/.b, headers in $GEN/.h
  local sys=$1 cas=$2 auth="Authorization: Token $KEY" b=$GEN/.b
  case $sys/$cas in
    graphql/*) local f=$GEN/graphql_$cas.json; [ "$cas" = c_rand ] && f=$GEN/graphql_c_rand.json
      curl -sS -m 10 -D "$GEN/.h" -o "$b" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' --data-binary @"$f" "$(http_url graphql a)" ;;
    rest/a) curl -sS -m 10 -D "$GEN/.h" -o "$b" -w '%{http_code}' -H "$auth" "$(http_url rest a)" ;;
    rest/b) curl -sS -m 10 -D "$GEN/.h" -o "$b" -w '%{http_code}' -H "$auth" "$(http_url rest b)" ;;
    rest/c|rest/c_rand) curl -sS -m 10 -D "$GEN/.h" -o "$b" -w '%{http_code}' -X PATCH -H "$auth" -H 'Content-Type: application/json' \
      --data-binary @"$GEN/rest_patch.json" "$(http_url rest b)" ;;
  esac || true
}
check_case() {  # system case -> "" when fine, else why not
  local code body; code=$(req "$1" "$2"); body=$(head -c 400 "$GEN/.b" 2>/dev/null || true)
  printf '%s\t%s\t%s\n' "$(label "$1" "$2")" "$code" "$body" >> "$OUT/responses.txt"
  if [ "$code" != 200 ]; then echo "HTTP $code"; return 0; fi
  case $1/$2 in
    graphql/*) if ! grep -q '"data"' "$GEN/.b" || grep -q '"errors"' "$GEN/.b"; then echo "GraphQL errors"; fi ;;
    rest/a) grep -qi '^X-Result-Count:' "$GEN/.h" || echo "no X-Result-Count header" ;;
  esac
  return 0
}

# ---------------------------------------------------------------------------
# 5. measurements
# ---------------------------------------------------------------------------
CPU_DB=-; CPU_BUSY=-   # set by the measurement just before record()
record() {  # system case round rps p50 p99 requests errors stmts rss cpu mean note   (+ $CPU_DB $CPU_BUSY)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "$CPU_DB" "$CPU_BUSY" >> "$RESULTS"
  tail -n 1 "$RESULTS" | awk -F'\t' -v n="$(nproc)" '{printf "  %-8s %-12s round %s  %8s req/s  p50 %6s ms  p99 %6s ms  errors %s  stmts/req %s  peak RSS %s MiB  CPU%% server %s db %s machine %s/%d00  %s\n", $1, $2, $3, $4, $5, $6, $8, $9, $10, $11, $14, $15, n, $13}' >&2
  CPU_DB=-; CPU_BUSY=-
}
# other test processes on the machine (the colleagues' go test): such measurements get a mark
others_running() { pgrep -f 'go test|\.test( |$)' >/dev/null 2>&1; }
BUSY=0
busy_note() { [ "$BUSY" = 1 ] && echo "go test running"; return 0; }
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }

wrk_run() {  # seconds lua url raw
  [ "$1" -gt 0 ] || return 0
  timeout $(($1 + 30)) wrk -t"$THREADS" -c"$CONNS" -d"$1s" --latency -s "$2" "$3" > "$4" 2>&1 || true
}

http_case() {  # system case round
  local sys=$1 cas=$2 round=$3 name; name=$(label "$1" "$2")
  local lua=$GEN/${sys}_$cas.lua url; url=$(http_url "$sys" "$cas")
  local slog=$RAW/server_${name}_$round.log raw=$RAW/wrk_${name}_$round.txt
  fresh_db
  start_server "$slog"
  local why; why=$(check_case "$sys" "$cas")
  if [ -n "$why" ]; then
    stop_server; trim_log "$slog"
    record "$sys" "$cas" "$round" n/a n/a n/a 0 n/a n/a n/a n/a n/a "not measured: pre-check $why (see responses.txt)"
    return 0
  fi
  wrk_run "$WARM" "$lua" "$url" "$RAW/wrk_${name}_${round}_warm.txt"
  psql_url "$(db_url "$WORKDB")" -c "CHECKPOINT" >/dev/null
  local s0 s1 t0 t1 w0 w1 b0 m0 b1 m1
  s0=$(statements); db_ticks > "$RAW/.db0"; read -r b0 m0 < <(stat_busy); t0=$(pid_ticks "$SERVER_PID"); w0=$(date +%s%N)
  BUSY=0; others_running && BUSY=1
  wrk_run "$DUR" "$lua" "$url" "$raw"
  others_running && BUSY=1
  w1=$(date +%s%N); t1=$(pid_ticks "$SERVER_PID"); read -r b1 m1 < <(stat_busy); db_ticks > "$RAW/.db1"; s1=$(statements)
  CPU_DB=$(db_pct "$RAW/.db0" "$RAW/.db1" "$(awk -v ns=$((w1 - w0)) 'BEGIN{print ns/1e9}')")
  CPU_BUSY=$(awk -v b=$((b1 - b0)) -v t=$((m1 - m0)) -v n="$(nproc)" 'BEGIN{ if (t > 0) printf "%.0f", 100 * n * b / t; else print "-" }')
  local rss; rss=$(vmhwm_mib "$SERVER_PID")
  kill -0 "$SERVER_PID" 2>/dev/null || echo "SERVER DIED during the run" >> "$raw"
  stop_server; trim_log "$slog"
  local R; R=$(grep '^RESULT' "$raw" || true)
  if [ -z "$R" ]; then
    record "$sys" "$cas" "$round" n/a n/a n/a 0 n/a n/a "${rss:-n/a}" n/a n/a "wrk failed (see raw/$(basename "$raw"))"
    return 0
  fi
  local n errs stm cpu
  n=$(kv requests "$R")
  errs=$(( $(kv sockerr "$R") + $(kv non2xx "$R") + $(kv bad "$R") + $(kv gqlerr "$R") ))
  stm=n/a
  [ -n "$s0" ] && [ -n "$s1" ] && [ "$n" -gt 0 ] && stm=$(awk -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN{printf "%.2f", (b-a)/n}')
  cpu=$(awk -v d=$((t1 - t0)) -v ns=$((w1 - w0)) -v k="$CLK" 'BEGIN{ if (ns>0) printf "%.0f", 100*d/k/(ns/1e9); else print "n/a" }')
  echo "STATEMENTS before=${s0:-n/a} after=${s1:-n/a} VmHWM_MiB=${rss:-n/a} server_ticks=$((t1 - t0))" >> "$raw"
  record "$sys" "$cas" "$round" "$(kv rps "$R" | awk '{printf "%.0f", $1}')" \
    "$(kv p50_us "$R" | awk '{printf "%.2f", $1/1000}')" "$(kv p99_us "$R" | awk '{printf "%.2f", $1/1000}')" \
    "$n" "$errs" "$stm" "${rss:-n/a}" "$cpu" "$(kv mean_us "$R" | awk '{printf "%.2f", $1/1000}')" "$(busy_note)"
}

pgbench_case() {  # case round
  local cas=$1 round=$2 raw=$RAW/pgbench_${1}_$2.txt dir=$RAW/pgblog_${1}_$2 url
  url=$(db_url "$WORKDB")
  fresh_db
  local opts=(-n -c "$PGB_CLIENTS" -j "$PGB_JOBS" -M prepared -D uuid="$ONE_UUID" -f "$GEN/pgb_$cas.sql")
  [ "$WARM" -gt 0 ] && { timeout $((WARM + 30)) env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE \
    pgbench "${opts[@]}" -T "$WARM" "$url" > "$RAW/pgbench_${cas}_${round}_warm.txt" 2>&1 || true; }
  psql_url "$url" -c "CHECKPOINT" >/dev/null
  mkdir -p "$dir"
  local b0 m0 b1 m1; read -r b0 m0 < <(stat_busy)
  BUSY=0; others_running && BUSY=1
  timeout $((DUR + 30)) env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE pgbench "${opts[@]}" -T "$DUR" \
    -l --log-prefix="$dir/tx" "$url" > "$raw" 2>&1 || true
  read -r b1 m1 < <(stat_busy)
  CPU_BUSY=$(awk -v b=$((b1 - b0)) -v t=$((m1 - m0)) -v n="$(nproc)" 'BEGIN{ if (t > 0) printf "%.0f", 100 * n * b / t; else print "-" }')
  local tps n failed p50 p99 zero mean
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$raw")
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$raw")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$raw"); failed=${failed:-0}
  if [ -z "$tps" ]; then
    rm -rf "$dir"
    record pgbench "$cas" "$round" n/a n/a n/a 0 n/a n/a n/a n/a n/a "pgbench failed (see raw/$(basename "$raw"))"
    return 0
  fi
  # Percentiles from the per-transaction log (as the peers do: when more than 1 % of the
  # entries are stamped 0 µs, pgbench's lazy clock makes the median meaningless -> n/a).
  read -r p50 p99 zero < <(cat "$dir"/tx* | awk '{print $3}' | sort -n | awk '{v[NR]=$1; if ($1==0) z++}
    END{i=int(NR*0.50+0.5); j=int(NR*0.99+0.5); if(i<1)i=1; if(j<1)j=1; printf "%.2f %.2f %.1f\n", v[i]/1000, v[j]/1000, 100*z/NR}')
  rm -rf "$dir"
  echo "ZERO_LATENCY_ENTRIES ${zero}%" >> "$raw"
  awk -v z="$zero" 'BEGIN{exit !(z > 1)}' && p50=n/a
  mean=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$raw")
  # statements per transaction: the script's SQL statements
  local stm; stm=$(grep -c ';[[:space:]]*$' "$GEN/pgb_$cas.sql")
  others_running && BUSY=1
  record pgbench "$cas" "$round" "$(printf '%.0f' "$tps")" "$p50" "$p99" "$n" "$failed" "$stm" - - "${mean:-n/a}" "$(busy_note)"
}

# SQL statements per request for a 20-item and a 300-item page (PROBE_N sequential requests each)
page_probe() {
  log "page-size probe: SQL statements per request, 20 vs 300 items ($PROBE_N requests each)"
  printf 'face\tpage_size\trequests\tok\tstatements\tper_request\n' > "$OUT/probe.tsv"
  fresh_db
  start_server "$RAW/server_probe.log"
  local face size f s0 s1 ok i code per
  for face in graphql rest; do
    case " $SYSTEMS " in *" $face "*) ;; *) continue ;; esac
    for size in 20 300; do
      s0=$(statements); ok=0
      for i in $(seq "$PROBE_N"); do
        if [ $face = graphql ]; then
          f=$GEN/graphql_a.json; [ $size = 300 ] && f=$GEN/graphql_a300.json
          code=$(curl -sS -m 10 -o "$GEN/.b" -w '%{http_code}' -H "Authorization: Token $KEY" -H 'Content-Type: application/json' \
            --data-binary @"$f" "http://127.0.0.1:$PORT/graphql" || true)
          [ "$code" = 200 ] && ! grep -q '"errors"' "$GEN/.b" && ok=$((ok + 1))
        else
          code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Token $KEY" \
            "http://127.0.0.1:$PORT$API?page_size=$size" || true)
          [ "$code" = 200 ] && ok=$((ok + 1))
        fi
      done
      s1=$(statements)
      per=n/a
      [ -n "$s0" ] && [ -n "$s1" ] && [ "$ok" = "$PROBE_N" ] && per=$(awk -v a="$s0" -v b="$s1" -v n="$PROBE_N" 'BEGIN{printf "%.2f", (b-a)/n}')
      [ "$ok" = "$PROBE_N" ] || per="n/a ($ok/$PROBE_N ok)"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$face" "$size" "$PROBE_N" "$ok" "$([ -n "$s0" ] && [ -n "$s1" ] && echo $((s1 - s0)) || echo n/a)" "$per" >> "$OUT/probe.tsv"
      note "$face page $size: $per statements/request"
    done
  done
  stop_server
}

# ---------------------------------------------------------------------------
# 6. the peers' harness in the same invocation (--peers)
# ---------------------------------------------------------------------------
run_peers() {
  log "peers: $PEERS_RUN with SYSTEMS=\"$PEERS_SYSTEMS\" (PEERS_DIR=$PEERS_DIR)"
  [ -x "$PEERS_RUN" ] || [ -f "$PEERS_RUN" ] || die "no $PEERS_RUN"
  # What the plugin needs from here: the binary, the seeded template database, the key, our workload files.
  env CALLCFG_BIN="$BIN" CALLCFG_TEMPLATE_DB="$DB" CALLCFG_PEERS_DB="${DB}_peers" CALLCFG_PGADMIN="$PGADMIN" \
      CALLCFG_KEY="$KEY" CALLCFG_GEN="$GEN" CALLCFG_OUT="$OUT" \
      CALLCFG_SERVE_ENV="${SERVE_ENV[*]-}" CALLCFG_SERVE_EXTRA="${SERVE_FLAGS[*]}" CALLCFG_ADMIN_PORT="$PEERS_ADMIN_PORT" \
      PEERS_PLUGIN="$BENCH/peers-plugin.sh" PEERS_DIR="$PEERS_DIR" SYSTEMS="$PEERS_SYSTEMS" \
      CASES="$CASES" DUR="$DUR" WARM="$WARM" RUNS="$RUNS" CONNS="$CONNS" THREADS="$THREADS" \
      PGB_CLIENTS="$PGB_CLIENTS" PGB_JOBS="$PGB_JOBS" HTTP_PORT="$HTTP_PORT" \
      timeout "$PEERS_TIMEOUT" bash "$PEERS_RUN" > "$OUT/peers.log" 2>&1 9>&- &
  PEERS_PID=$!
  local rc=0
  wait "$PEERS_PID" || rc=$?
  PEERS_PID=""
  psql_admin -c "DROP DATABASE IF EXISTS ${DB}_peers WITH (FORCE)" >/dev/null 2>&1 || true
  local res; res=$(readlink -f "$PEERS_DIR/results/latest" || true)
  if [ "$rc" != 0 ] || [ ! -f "$res/results.tsv" ]; then
    tail -n 30 "$OUT/peers.log" >&2
    echo "peers run failed (exit $rc); see $OUT/peers.log — the table has no PostGraphile column" >&2
    return 0
  fi
  mkdir -p "$OUT/peers"
  cp -r "$res"/. "$OUT/peers/"
  PEERS_RESULTS=$OUT/peers/results.tsv
  note "peers results: $res (copied to $OUT/peers/)"
}

# ---------------------------------------------------------------------------
# 7. the table
# ---------------------------------------------------------------------------
table() {
  local peers=${PEERS_RESULTS:-/dev/null}
  awk -F'\t' -v cases="$CASES" -v extra="$PGB_EXTRA" -v haspeers="${PEERS_RESULTS:+1}" '
    function join(a, b) { return (a == "") ? b : a " / " b }
    function us(cpu, r) {   # server CPU per request: CPU % of one core ÷ req/s, in µs
      if (cpu == "" || r == "" || cpu == "-" || cpu == "n/a" || r == "n/a" || r + 0 == 0) return "n/a"
      return sprintf("%.0f", cpu * 1e4 / r)
    }
    function xhello(u) { return (u == "n/a" || hello == "") ? "n/a" : sprintf("%.1f×", u / hello) }
    function ratio(x, y, pct) {
      if (x == "" || y == "" || x == "n/a" || y == "n/a" || y + 0 == 0) return "n/a"
      return pct ? sprintf("%.0f %%", 100 * x / y) : sprintf("%.2f×", x / y)
    }
    FNR == 1 { file++; next }
    file == 1 {   # ours: system case round rps p50 p99 requests errors stmts rss cpu mean note
      k = $2 SUBSEP $1; rounds[$3] = 1
      rps[k, $3] = $4; P50[k] = join(P50[k], $5); P99[k] = join(P99[k], $6)
      R[k] = join(R[k], ($13 != "" && $4 == "n/a") ? "n/a (" $13 ")" : ($13 == "go test running") ? $4 "*" : $4)
      E[k] = join(E[k], $8); S[k] = join(S[k], $9); M[k] = join(M[k], $10)
      CPU[k] = join(CPU[k], $11 "," $14 "," $15)
      u = us($11, $4); US[k] = join(US[k], u); usr[k, $3] = u
      have[k] = 1; next
    }
    file == 2 {   # the peers: system case run rps p50 p99 requests sockerr non2xx gqlerr ...
      prps[$1, $2, $3] = $4; pp50[$1, $2] = join(pp50[$1, $2], $5); pp99[$1, $2] = join(pp99[$1, $2], $6)
      pr[$1, $2] = join(pr[$1, $2], $4); pe[$1, $2] = join(pe[$1, $2], $8 + $9 + $10); prun[$3] = 1
      pc[$1, $2] = join(pc[$1, $2], $11 "," $14 "," $13)
      u = us($11, $4); pus[$1, $2] = join(pus[$1, $2], u); pusr[$1, $2, $3] = u
      # The bare handler answering a POST: the floor every system is held against.
      if ($1 == "hello" && $2 == "post" && u != "n/a") { hsum += u; hn++ }
      next
    }
    END {
      if (hn > 0) hello = hsum / hn
      nr = 0; for (r in rounds) nr++
      npr = 0; for (r in prun) npr++
      head = "| case | system | req/s | p50 ms | p99 ms | peak RSS MiB | SQL stmts/req | ÷ pgbench limit | errors | CPU % server,PG,machine | server µs/req | × hello |"
      sep = "|---|---|---|---|---|---|---|---|---|---|---|---|"
      if (haspeers) { head = head " × PostGraphile v5 |"; sep = sep "---|" }
      print head; print sep
      n = split(cases, C, " "); ne = split(extra, X, " ")
      for (i = 1; i <= n; i++) {
        c = C[i]
        row(c, "pgbench", c, "pgbench (limit)")
        if (c == "a") for (j = 1; j <= ne; j++) row(X[j], "pgbench", X[j], "pgbench (limit)")
        row(c, "graphql", c, "callcfg GraphQL")
        row(c, "rest", "rest_" c, "callcfg REST")
        if (haspeers && (("pg5", c) in pr)) {
          lim = ""; for (r = 1; r <= npr; r++) lim = join(lim, ratio(prps["pg5", c, r], prps["pgbench", c, r], 1))
          xh = ""; for (r = 1; r <= npr; r++) xh = join(xh, xhello(pusr["pg5", c, r]))
          line = sprintf("| %s | PostGraphile v5 (peers run) | %s | %s | %s | – | – | %s | %s | %s | %s | %s |", c, pr["pg5", c], pp50["pg5", c], pp99["pg5", c], lim, pe["pg5", c], pc["pg5", c], pus["pg5", c], xh)
          print line " 1.00× |"
        }
      }
      print ""
      if (hn > 0) printf "Server µs/req: CPU time of the server process ÷ requests served in the measured run; × hello: that ÷ the bare Go net/http handler of the peers run answering a POST (%.0f µs/req, mean of %d round(s), same invocation).\n", hello, hn
      else print "Server µs/req: CPU time of the server process ÷ requests served; × hello needs --peers with hello in PEERS_SYSTEMS."
    }
    function row(c, sys, name, label,    k, lim, r, pv, ps, line, xh) {
      k = c SUBSEP sys
      if (!(k in have)) return
      lim = ""
      if (sys == "pgbench") lim = "(limit)"
      else for (r = 1; r <= nr; r++) lim = join(lim, ratio(rps[k, r], rps[c SUBSEP "pgbench", r], 1))
      xh = ""; for (r = 1; r <= nr; r++) xh = join(xh, xhello(usr[k, r]))
      line = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", name, label, R[k], P50[k], P99[k], M[k], S[k], lim, E[k], CPU[k], US[k], xh)
      if (haspeers) {
        ps = (sys == "graphql") ? "callcfg" : (sys == "rest") ? "callcfg_rest" : ""
        pv = ""
        if (ps != "" && ((ps, c) in pr)) for (r = 1; r <= npr; r++) pv = join(pv, ratio(prps[ps, c, r], prps["pg5", c, r], 0))
        line = line " " (pv == "" ? "–" : pv) " |"
      }
      print line
    }' "$RESULTS" "$peers"
}

versions() {
  {
    echo "date_utc: $(date -u +%FT%TZ)"
    echo "commit: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo n/a)"
    echo "kernel: $(uname -r); cpus: $(nproc) ($(lscpu | sed -n 's/^Model name: *//p')); mem: $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "postgres: $(psql_admin -c 'SHOW server_version') (shared_buffers=$(psql_admin -c 'SHOW shared_buffers'), synchronous_commit=$(psql_admin -c 'SHOW synchronous_commit'))"
    echo "pgbench: $(pgbench --version)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "go: $(go version)"
    echo "server: $BIN ${SERVE_ARGS[*]} ${SERVE_ENV[*]-}; $LOGNOTE"
    echo "load: wrk -t$THREADS -c$CONNS -d${DUR}s (warm-up ${WARM}s); pgbench -n -c $PGB_CLIENTS -j $PGB_JOBS -T $DUR -M prepared; $RUNS interleaved rounds; cases: $CASES"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    local others; others=$(pgrep -af 'go test|\.test( |$)' | grep -v pgrep || true)
    [ -n "$others" ] && echo "WARNING: test processes running during the bench (figures noisier):" && echo "$others"
  } > "$OUT/versions.txt"
  cat "$OUT/versions.txt" >&2
}

report() {
  [ -f "$OUT/peers/results.tsv" ] && PEERS_RESULTS=$OUT/peers/results.tsv || PEERS_RESULTS=""
  log "results (req/s etc.: rounds separated by ' / ')"
  {
    table
    echo
    echo "Statements per request by page size (probe, $PROBE_N requests each): $(awk -F'\t' 'NR>1 {printf "%s%s %s items: %s", sep, $1, $2, $6; sep="; "}' "$OUT/probe.tsv" 2>/dev/null || echo n/a)."
    echo "Peak RSS: VmHWM of a server started fresh for each case (warm-up + measured run); whole run: $(awk -F'\t' 'NR>1 && $10+0 > 0 {if ($10+0 > m[$1]) m[$1] = $10+0} END {for (s in m) printf "%s %.1f MiB  ", s, m[s]}' "$RESULTS")"
    echo "Load: wrk -t$THREADS -c$CONNS, ${WARM} s warm-up + ${DUR} s; pgbench -c $PGB_CLIENTS -j $PGB_JOBS -M prepared; $RUNS round(s); $LOGNOTE."
    [ -n "$PEERS_RESULTS" ] && echo "× PostGraphile v5: callcfg ÷ pg5 req/s within the peers' run ($PEERS_SYSTEMS), round by round; its pg5 rows are from that run."
    grep -q WARNING "$OUT/versions.txt" 2>/dev/null && echo "WARNING: other test processes were running at the start; see versions.txt."
    awk -F'\t' '$13 == "go test running" {f = 1} END {exit !f}' "$RESULTS" && echo "* go test processes were running on the machine before or after this measurement: the figure is noisier."
    true
  } | tee "$OUT/table.md"
}

# ---------------------------------------------------------------------------
main() {
  prepare
  install_tools
  build
  seed
  write_workload
  versions
  # Rounds; inside a round, case by case: its pgbench limit and both faces back to back,
  # so drift of the shared host hits a case's figures alike. Even rounds run the systems
  # of a case in reverse order.
  local round cas sys order
  for round in $(seq "$RUNS"); do
    log "round $round of $RUNS"
    for cas in $CASES; do
      order=$SYSTEMS
      [ $((round % 2)) = 0 ] && order=$(echo "$SYSTEMS" | tr ' ' '\n' | tac | tr '\n' ' ')
      for sys in $order; do
        case $sys in
          pgbench)
            pgbench_case "$cas" "$round"
            if [ "$cas" = a ]; then for x in $PGB_EXTRA; do pgbench_case "$x" "$round"; done; fi ;;
          *) http_case "$sys" "$cas" "$round" ;;
        esac
      done
    done
  done
  case " $SYSTEMS " in *" graphql "*|*" rest "*) page_probe ;; esac
  PEERS_RESULTS=""
  [ "$WITH_PEERS" = 1 ] && run_peers
  psql_admin -c "DROP DATABASE IF EXISTS $WORKDB WITH (FORCE)" >/dev/null 2>&1 || true

  # what --report needs to print the table again
  { printf 'CASES=%q\nPGB_EXTRA=%q\nPROBE_N=%q\nTHREADS=%q\nCONNS=%q\nWARM=%q\nDUR=%q\n' "$CASES" "$PGB_EXTRA" "$PROBE_N" "$THREADS" "$CONNS" "$WARM" "$DUR"
    printf 'PGB_CLIENTS=%q\nPGB_JOBS=%q\nRUNS=%q\nLOGNOTE=%q\nPEERS_SYSTEMS=%q\n' "$PGB_CLIENTS" "$PGB_JOBS" "$RUNS" "$LOGNOTE" "$PEERS_SYSTEMS"
  } > "$OUT/meta.env"
  report
  echo "results: $OUT (table.md, results.tsv, probe.tsv, versions.txt, responses.txt, raw/, gen/)" >&2
  echo "elapsed: $(( $(date +%s) - T_START )) s" >&2
}
if [ -n "$REPORT" ]; then
  [ -f "$OUT/results.tsv" ] || die "no results.tsv in $OUT"
  # shellcheck source=/dev/null
  [ -f "$OUT/meta.env" ] && . "$OUT/meta.env"
  LOGNOTE=${LOGNOTE:-}
  report
  exit 0
fi
main
