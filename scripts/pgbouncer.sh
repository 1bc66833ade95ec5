#!/usr/bin/env bash
# Starts PgBouncer in transaction mode on 127.0.0.1:6432 in front of the
# PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres), as deployments
# that scale out run it, for the tests (TEST_PGBOUNCER_URL) and the bench.
# Every database name is passed through. Idempotent: a PgBouncer already
# answering on the port is left alone. `scripts/pgbouncer.sh stop` stops
# the one this script started.
#
#   scripts/pgbouncer.sh && export TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:6432/postgres
set -euo pipefail

PORT=${PGBOUNCER_PORT:-6432}
DIR=${PGBOUNCER_DIR:-/tmp/callcfg-pgbouncer}
BIN=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

if [ "${1:-}" = stop ]; then
  [ -f "$DIR/pgbouncer.pid" ] && kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
  exit 0
fi

if pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
  echo "pgbouncer: already answering on 127.0.0.1:$PORT"
  exit 0
fi
[ -x "$BIN" ] || { echo "pgbouncer is not installed (Debian: apt-get install pgbouncer)" >&2; exit 1; }

mkdir -p "$DIR"
cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = $DIR/userlist.txt
max_client_conn = 2000
default_pool_size = 20
max_db_connections = 40
server_idle_timeout = 30
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
printf '"postgres" ""\n' > "$DIR/userlist.txt"
# PgBouncer refuses to run as root.
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$DIR"
  runuser -u postgres -- "$BIN" -d "$DIR/pgbouncer.ini"
else
  "$BIN" -d "$DIR/pgbouncer.ini"
fi
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.1; done
pg_isready -h 127.0.0.1 -p "$PORT"
