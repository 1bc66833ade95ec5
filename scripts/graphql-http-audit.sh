#!/usr/bin/env bash
# Runs the GraphQL over HTTP working group's own audit suite (the npm package
# graphql-http, its serverAudits) against a callcfg server, and prints every
# audit with its outcome. Exit status 1 when a MUST or SHOULD audit fails
# (MAY audits are reported, never fatal).
#
#   scripts/graphql-http-audit.sh                       # builds and starts a server on a throw-away SQLite database
#   scripts/graphql-http-audit.sh http://host:8080/graphql   # audits a running server
#
# The package is installed into a temporary directory with npm and removed
# afterwards: nothing is fetched into the repository. CI does not run this
# script; graph/audit_test.go ports the same audits to Go and runs them on
# both databases. GRAPHQL_HTTP_VERSION picks the suite's version.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${GRAPHQL_HTTP_VERSION:-1.23.1}
command -v node >/dev/null || { echo "node is needed (Debian: apt-get install nodejs npm)" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm is needed (Debian: apt-get install npm)" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

url=${1:-}
if [ -z "$url" ]; then
  go build -o "$tmp/callcfg" ./cmd/callcfg
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18089)
  "$tmp/callcfg" serve --database-url "sqlite://$tmp/audit.db" --addr "127.0.0.1:$port" --log-level warn >"$tmp/server.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port/graphql"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
    sleep 0.1
  done
fi

(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "graphql-http@$version" >/dev/null)

cat >"$tmp/audit.mjs" <<'JS'
import { serverAudits } from 'graphql-http';
const url = process.argv[2];
const results = [];
for (const a of serverAudits({ url })) results.push(await a.fn());
const mark = { ok: 'ok  ', warn: 'FAIL', error: 'FAIL', notice: 'no  ' };
for (const r of results) {
  let line = `${mark[r.status]} ${r.id} ${r.name}`;
  if (r.status !== 'ok') line += ` (${r.reason}; got ${r.response.status})`;
  console.log(line);
}
const count = (level, ok) => results.filter((r) => r.name.startsWith(level) && (r.status === 'ok') === ok).length;
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  console.log(`${level}: ${count(level, true)} passed, ${count(level, false)} failed`);
}
process.exit(count('MUST', false) + count('SHOULD', false) > 0 ? 1 : 0);
JS
echo "graphql-http $version serverAudits against $url"
(cd "$tmp" && node audit.mjs "$url")
