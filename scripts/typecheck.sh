#!/usr/bin/env bash
# Type-checks every TypeScript file twice: with Deno's checker (Deno's
# globals) and with tsc against bun-types (Bun's globals). A file for one
# runtime only says so in its name: *.bun.ts (Bun.serve …) is left to tsc,
# *.deno.ts (Deno.serve …) to deno check (tsconfig.json excludes it).
set -eu
cd "$(dirname "$0")/.."
bin=node_modules/.bin
files=$(git ls-files --cached --others --exclude-standard -- '*.ts' | grep -v '^node_modules/' | grep -v '\.d\.ts$')
deno_files=$(echo "$files" | grep -v '\.bun\.ts$')
echo "deno check ($(echo "$deno_files" | wc -l) files)"
NO_COLOR=1 "$bin/deno" check --quiet $deno_files
echo "tsc -p tsconfig.json (bun-types)"
"$bin/tsc" -p tsconfig.json
