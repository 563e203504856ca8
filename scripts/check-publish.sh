#!/usr/bin/env bash
# Is the package publishable to JSR? Runs offline (no request to jsr.io):
#  1. deno doc --lint on every entry point of deno.json's "exports"
#     (JSDoc on every export, explicit types, no private types in the API);
#  2. an @example on every exported symbol (scripts/check-examples.mjs), and
#     every example type-checks (deno check --doc-only);
#  3. deno publish --dry-run --allow-dirty: type-checks, rejects slow types,
#     lists the files JSR would get. Any warning fails the check.
# A real publish needs what a dry run does not: the @fullduplex scope and
# package on jsr.io, and a token (--token, interactive login, or GitHub
# Actions OIDC with the package linked to the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
deno=node_modules/.bin/deno
mapfile -t entries < <(node -e 'for (const v of Object.values(JSON.parse(require("fs").readFileSync("deno.json", "utf8")).exports)) console.log(v)')

echo "deno doc --lint ${entries[*]}"
# Its "Failed resolving types" warnings are about @types/node internals it does not follow.
"$deno" doc --lint "${entries[@]}" 2>&1 | grep -v -e '^Warning Failed resolving types' -e '^    at file://.*node_modules/' || true
"$deno" doc --lint "${entries[@]}" >/dev/null 2>&1 || { echo "check:publish: deno doc --lint failed"; exit 1; }

node scripts/check-examples.mjs "${entries[@]}"

# The examples must compile: type-check every ```ts block in the JSDoc of the
# published sources, with both package names mapped to the sources. Blocks
# marked ```ts ignore (the Bun.serve ones: Deno has no Bun typings) are skipped.
mapfile -t sources < <(find mod.ts src -name '*.ts' | sort)
echo "deno check --doc-only (the @example blocks of ${#sources[@]} files)"
"$deno" check --quiet --doc-only --import-map scripts/doc-imports.json "${sources[@]}" 2>&1 \
  | grep -v -e '^Warning Failed resolving types' -e '^    at file://.*node_modules/' || true
"$deno" check --quiet --doc-only --import-map scripts/doc-imports.json "${sources[@]}" >/dev/null 2>&1 \
  || { echo "check:publish: an @example does not type-check"; exit 1; }

echo "deno publish --dry-run --allow-dirty"
out=$("$deno" publish --dry-run --allow-dirty 2>&1) || { echo "$out"; echo "check:publish: deno publish --dry-run failed"; exit 1; }
echo "$out" | grep -v '^   file://'
if echo "$out" | grep -v '^Checking for slow types' | grep -qi -e 'warning' -e 'slow type'; then
  echo "check:publish: deno publish --dry-run printed warnings"
  exit 1
fi
echo "check:publish: ok ($(echo "$out" | grep -c '^   file://') files would be published)"
