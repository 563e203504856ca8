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

# npm 12 blocks dependency install scripts not listed in package.json "allowScripts":
# say so at once instead of failing every test.
for rt in bun deno; do
  if ! "$bin/$rt" --version >/dev/null 2>&1; then
    echo "node_modules/.bin/$rt does not run (was its install script blocked? see \"allowScripts\" in package.json); run npm ci again"
    exit 1
  fi
done

echo "== typecheck"
bash scripts/typecheck.sh || typecheck=1

echo "== check:publish (JSR: doc lint, @example on every export, publish dry run)"
publish=0
bash scripts/check-publish.sh || publish=1

echo "== check:layers (imports point one way, no loop: docs/ARCHITECTURE.md)"
layers=0
node scripts/check-layers.mjs || layers=1

echo "== check:style (deno fmt --check, deno lint: deno.json)"
style=0
NO_COLOR=1 "$bin/deno" fmt --check --quiet || style=1
NO_COLOR=1 "$bin/deno" lint --quiet || style=1

echo "== deno test"
NO_COLOR=1 "$bin/deno" test -A --no-check --reporter=dot --junit-path="$out/deno.xml" tests/
echo "== bun test"
"$bin/bun" test --timeout 60000 --reporter=junit --reporter-outfile="$out/bun.xml" ./tests/ 2>&1 | grep -Ev '^\(pass\)'

echo "== node --test (npm package smoke tests, browser end-to-end in Chromium)"
# Node's runner: these drive Bun, Deno and Chromium (playwright-core) as child processes.
rm -f artifacts/browser-deno.png artifacts/browser-bun.png
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$out/node.xml" tests/node/*.node.mjs
node_exit=$?
for shot in artifacts/browser-deno.png artifacts/browser-bun.png; do
  [ -f "$shot" ] && echo "browser screenshot (CI artifact): $shot"
done

node scripts/summarize.mjs "$out/deno.xml" "$out/bun.xml" "$typecheck" \
  --check=check:publish="$publish" --check=check:layers="$layers" --check=check:style="$style" --report=node="$out/node.xml" --exit=node="$node_exit"
