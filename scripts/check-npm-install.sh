#!/usr/bin/env bash
# Do the README's two commands (`npm ci`, `npm test`) work on every npm major
# we support? For each of npm 10, 11 and 12 (from the registry, through npx),
# copies this repository (tracked and new files, no node_modules) into a
# scratch directory, runs `npm ci` there, checks that the runtimes' install
# scripts ran, and runs one small test file on Deno and on Bun.
#
#   bash scripts/check-npm-install.sh            npm 10, 11 and 12, except the major
#                                                 `npm` already is (.ci/run's own
#                                                 `npm ci` + `npm test` prove that one)
#   bash scripts/check-npm-install.sh 12 10      just these majors
#
# Why: npm 12 blocks the install scripts of dependencies that package.json's
# "allowScripts" does not list. Exactly two devDependencies have one:
#   - bun: its postinstall puts the binary in place; without it `bun` only
#     prints "Bun's postinstall script was not run".
#   - deno: its postinstall points node_modules/.bin/deno at the binary;
#     without it .bin/deno is a Node.js wrapper (bin.cjs) that does not pass
#     signals on (SIGINT to it leaves deno running), which breaks every test
#     that stops a server with a signal.
# The entries are name-only ("bun": true): npm pins an entry to a version
# only when package-lock.json records "resolved" URLs, and this lockfile does
# not (omit-lockfile-registry-resolved); a pinned "bun@1.4.5" key is then not
# matched and the script stays blocked. The versions are pinned in
# devDependencies and the lockfile's integrity hashes anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

current=$(npm --version | cut -d. -f1)
if [ "$#" -gt 0 ]; then
  majors=("$@")
else
  majors=()
  for m in 10 11 12; do [ "$m" = "$current" ] || majors+=("$m"); done
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fullduplex-npm-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# The files a fresh clone has (plus new, not yet committed ones), without node_modules.
git ls-files -z --cached --others --exclude-standard | grep -zv '^node_modules/' > "$scratch/files"

failed=0
for major in "${majors[@]}"; do
  dir="$scratch/npm$major"
  mkdir -p "$dir"
  tar -C "$root" --null -T "$scratch/files" -cf - | tar -C "$dir" -xf -
  echo "== npm $major: npm ci in a copy of the repository"
  log="$scratch/npm$major.log"
  # --prefer-offline: reuse the npm cache for npm itself and the runtimes (~100 MB each).
  if ! (cd "$dir" && npx -y --prefer-offline "npm@$major" ci --no-audit --no-fund --prefer-offline) >"$log" 2>&1; then
    cat "$log"
    echo "check-npm-install: npm $major: npm ci failed"
    failed=1
    continue
  fi
  version=$(cd "$dir" && npx -y --prefer-offline "npm@$major" --version 2>/dev/null)
  if grep -q 'install scripts blocked' "$log"; then
    grep 'install-scripts' "$log"
    echo "check-npm-install: npm $version blocked install scripts: list them in package.json \"allowScripts\""
    failed=1
    continue
  fi
  bin="$dir/node_modules/.bin"
  if [ "$(readlink "$bin/deno")" = "../deno/bin.cjs" ]; then
    echo "check-npm-install: npm $version: deno's postinstall did not run (.bin/deno is the Node.js wrapper)"
    failed=1
    continue
  fi
  echo "   bun $("$bin/bun" --version), $("$bin/deno" --version | head -1)"
  echo "== npm $version: one test file on each runtime"
  if ! (cd "$dir" && NO_COLOR=1 "$bin/deno" test -A --no-check --reporter=dot tests/message.test.ts) >"$log" 2>&1; then
    cat "$log"
    echo "check-npm-install: npm $version: deno test failed"
    failed=1
  fi
  if ! (cd "$dir" && "$bin/bun" test ./tests/message.test.ts) >"$log" 2>&1; then
    cat "$log"
    echo "check-npm-install: npm $version: bun test failed"
    failed=1
  fi
  rm -rf "$dir"
done

if [ "$failed" -ne 0 ]; then exit 1; fi
echo "check-npm-install: ok (npm ${majors[*]:-none}; npm $current is the one .ci/run uses itself)"
