#!/usr/bin/env bash
# The whole suite: typecheck, then tests/ on Deno, then the same files on Bun.
# Ends with one line "N passed, N failed" for both runtimes together
# (counted from each runner's JUnit report, leaf tests only).
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
out=.test-results
rm -rf "$out" && mkdir -p "$out"
typecheck=0

echo "== typecheck"
bash scripts/typecheck.sh || typecheck=1

echo "== deno test"
NO_COLOR=1 "$bin/deno" test -A --no-check --reporter=dot --junit-path="$out/deno.xml" tests/
echo "== bun test"
"$bin/bun" test --timeout 60000 --reporter=junit --reporter-outfile="$out/bun.xml" ./tests/ 2>&1 | grep -Ev '^\(pass\)'

node scripts/summarize.mjs "$out/deno.xml" "$out/bun.xml" "$typecheck"
