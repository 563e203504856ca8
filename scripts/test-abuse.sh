#!/usr/bin/env bash
# The slow adversarial suite (issue 12): tests/abuse/*.abuse.ts on Deno,
# then the same files on Bun. Servers run in their own processes and their
# RSS is read from /proc, so this needs Linux. The files are named
# *.abuse.ts, not *.test.ts, so that `npm test` (which runs every test file
# under tests/ on both runtimes) does not run them a second time.
# About 3 minutes on 2 cores.
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
files=$(ls tests/abuse/*.abuse.ts)
status=0
echo "== deno test (abuse)"
NO_COLOR=1 "$bin/deno" test -A --no-check --reporter=dot $files || status=1
echo "== bun test (abuse)"
# shellcheck disable=SC2046
"$bin/bun" test --timeout 180000 $(for f in $files; do echo "./$f"; done) 2>&1 | grep -Ev '^\(pass\)'
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
if [ "$status" -eq 0 ]; then echo "test:abuse passed on Deno and Bun"; else echo "test:abuse FAILED"; fi
exit $status
