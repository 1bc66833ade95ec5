#!/usr/bin/env bash
# bench/pgbouncer.sh — both statement modes, directly and through PgBouncer.
#
# Runs bench/run.sh three times, one invocation after the other, and prints
# one table of the three: the server's PostgreSQL statements prepared
# (direct connections, the default), sent unnamed (--db-prepared-statements
# off, directly), and unnamed through PgBouncer 1.18 in transaction mode
# (scripts/pgbouncer.sh, started if nothing answers on :6432). Knobs are
# bench/run.sh's (DUR, WARM, RUNS, CASES, ...); the defaults here are
# shorter: RUNS=1, SYSTEMS="graphql rest", no pgbench decomposition.
# Compare figures within one invocation only: the host's speed drifts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RUNS=${RUNS:-1} SYSTEMS=${SYSTEMS:-"graphql rest"} PGB_EXTRA=${PGB_EXTRA-""} PROBE_N=${PROBE_N:-5}
"$ROOT/scripts/pgbouncer.sh" >/dev/null

declare -a names dirs
run() {  # name, then env assignments for run.sh
  local name=$1; shift
  echo "=== $name" >&2
  env "$@" "$ROOT/bench/run.sh" >&2
  names+=("$name")
  dirs+=("$(readlink -f "$ROOT/bench/out/latest")")
}
run "direct, prepared" SERVE_EXTRA= SERVER_DB_PORT=
run "direct, unnamed" SERVE_EXTRA=--db-prepared-statements=off SERVER_DB_PORT=
run "PgBouncer, unnamed" SERVE_EXTRA=--db-prepared-statements=off SERVER_DB_PORT=6432

printf '\n| mode | case | req/s | p99 ms | server CPU µs/req | errors |\n|---|---|---|---|---|---|\n'
for i in "${!names[@]}"; do
  awk -F'\t' -v mode="${names[$i]}" 'NR > 1 && $1 != "pgbench (limit)" {
      us = ($4 > 0) ? $11 * 10000 / $4 : 0
      printf "| %s | %s %s | %.0f | %s | %.0f | %s |\n", mode, $1, $2, $4, $6, us, $8
    }' "${dirs[$i]}/results.tsv"
done
printf '\nresults: %s\n' "${dirs[*]}"
