#!/usr/bin/env bash
# Type-checks every TypeScript file twice: with Deno's checker (Deno's
# globals) and with tsc against bun-types (Bun's globals).
set -eu
cd "$(dirname "$0")/.."
bin=node_modules/.bin
files=$(git ls-files --cached --others --exclude-standard -- '*.ts' | grep -v '^node_modules/' | grep -v '\.d\.ts$')
echo "deno check ($(echo "$files" | wc -l) files)"
NO_COLOR=1 "$bin/deno" check --quiet $files
echo "tsc -p tsconfig.json (bun-types)"
"$bin/tsc" -p tsconfig.json
