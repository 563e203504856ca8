#!/usr/bin/env bash
# Runs the benchmarks: `bash bench/run.sh` (npm run bench, writes
# bench/RESULTS.md, about 11 minutes) or `bash bench/run.sh quick`
# (npm run bench:quick, a seconds-long check that every target runs and
# answers correctly; exits non-zero otherwise), or `bash bench/run.sh
# cluster` (only the cluster scenarios, about 3 minutes; prints their
# tables instead of writing RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# 10,000 idle connections need 10,000+ descriptors in the server process and
# as many in the client process (the limit is per process): raise the soft
# limit as far as the hard limit allows.
want=32768
hard=$(ulimit -Hn)
if [ "$hard" = "unlimited" ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi
if [ "${1:-}" = "" ] && [ "$(ulimit -n)" -lt 10500 ]; then
  echo "bench: ulimit -n is $(ulimit -n); the idle scenario needs about 10,500 descriptors per process" >&2
  exit 1
fi
exec node_modules/.bin/deno run -A --no-check bench/runner.ts "$@"
