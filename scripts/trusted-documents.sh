#!/usr/bin/env bash
# Regenerates the trusted-document manifests of graph/testdata/trusted/ from
# the frontend operations there (*.graphql), with the real tools frontends
# use, so that the tests of --trusted-documents read what those tools write:
#
#   persisted-documents.json       graphql-codegen's client preset (persistedDocuments, sha256)
#   persisted-query-manifest.json  Apollo's generate-persisted-query-manifest
#
# Run it after changing an operation or the schema; commit both files. The
# npm packages are installed into a temporary directory and removed after:
# nothing is fetched into the repository. The Go test recomputes every hash
# from its document, so a manifest that no longer matches fails the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=graph/testdata/trusted

command -v npm >/dev/null || { echo "npm is needed (Debian: apt-get install npm)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund \
  @graphql-codegen/cli@7.4.3 @graphql-codegen/client-preset@6.2.0 \
  @apollo/generate-persisted-query-manifest@1.4.0 @apollo/client@4.3.8 rxjs@7 graphql@16 typescript@5 >/dev/null

cat >codegen.json <<JSON
{
  "schema": "$root/schema.graphqls",
  "documents": ["$root/$out/*.graphql"],
  "ignoreNoDocuments": false,
  "generates": {
    "./gql/": {
      "preset": "client",
      "presetConfig": {"persistedDocuments": {"hashAlgorithm": "sha256"}, "fragmentMasking": false},
      "config": {"scalars": {"UUID": "string", "DateTime": "string"}}
    }
  }
}
JSON
npx graphql-codegen --config codegen.json --silent
cp gql/persisted-documents.json "$root/$out/persisted-documents.json"

mkdir src
cp "$root/$out"/*.graphql src/
cat >persisted-query-manifest.config.json <<'JSON'
{"documents": ["src/**/*.graphql"], "output": "persisted-query-manifest.json"}
JSON
npx generate-persisted-query-manifest
cp persisted-query-manifest.json "$root/$out/persisted-query-manifest.json"
echo "wrote $out/persisted-documents.json and $out/persisted-query-manifest.json"
