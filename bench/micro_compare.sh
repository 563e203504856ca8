#!/usr/bin/env bash
# Side-by-side micro-benchmark of two checkouts (e.g. the commit before a
# change and after it), alternating runs so that machine noise hits both
# alike, each batch timed by the main thread's CPU time (`micro.ts cpu`: Linux only; a
# checkout whose micro.ts predates that option falls back to the wall clock). Prints, per runtime and case, the library-path ns/message of each
# checkout and their ratio (after / before): the median over the runs, and
# the minimum (the run least disturbed by other processes), the median
# overhead over the hand-written path measured in the same run, and the
# median of library/hand per run (machine state that slows both cancels).
#
#   bash bench/micro_compare.sh /path/to/before /path/to/after [runs per side, default 9] [runtimes, default "deno bun"]
#
# Each checkout needs node_modules (a symlink is fine). A second checkout:
#   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
set -euo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
runs=${3:-9}
runtimes=${4:-deno bun}
out=$(mktemp -d)
for runtime in $runtimes; do
  for ((i = 1; i <= runs; i++)); do
    for side in before after; do
      dir=$([ "$side" = before ] && echo "$before" || echo "$after")
      if [ "$runtime" = deno ]; then cmd=("$dir/node_modules/.bin/deno" run -A --no-check bench/micro.ts cpu)
      else cmd=("$dir/node_modules/.bin/bun" run bench/micro.ts cpu); fi
      (cd "$dir" && "${cmd[@]}") | grep '^RESULT ' >>"$out/$runtime.$side"
    done
  done
done
node - "$out" $runtimes <<'JS'
const fs = require("fs");
const dir = process.argv[2];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const read = (f) => fs.readFileSync(`${dir}/${f}`, "utf8").trim().split("\n").map((l) => JSON.parse(l.slice(7)).rows);
for (const runtime of process.argv.slice(3)) {
  const b = read(`${runtime}.before`), a = read(`${runtime}.after`);
  console.log(`${runtime} (${b.length} runs per side, medians, ns/message)`);
  for (let i = 0; i < b[0].length; i++) {
    const lib = (runs) => median(runs.map((r) => r[i].libNs));
    const best = (runs) => Math.min(...runs.map((r) => r[i].libNs));
    const over = (runs) => median(runs.map((r) => r[i].overheadNs));
    // Library path over the hand path of the same run: what the machine's state does to both cancels out.
    const rel = (runs) => median(runs.map((r) => r[i].libNs / r[i].handNs));
    const ok = a.every((r) => r[i].ok) && b.every((r) => r[i].ok);
    const f = (x) => x.toFixed(1).padStart(7);
    console.log(`  ${b[0][i].name.padEnd(20)} median ${f(lib(b))} -> ${f(lib(a))} (x${(lib(a) / lib(b)).toFixed(3)})` +
      `  min ${f(best(b))} -> ${f(best(a))} (x${(best(a) / best(b)).toFixed(3)})` +
      `  overhead ${f(over(b))} -> ${f(over(a))}  lib/hand ${rel(b).toFixed(2)} -> ${rel(a).toFixed(2)} (x${(rel(a) / rel(b)).toFixed(3)})` +
      (ok ? "" : "  WRONG OUTPUT"));
  }
}
JS
rm -rf "$out"
