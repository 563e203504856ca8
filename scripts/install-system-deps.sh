#!/usr/bin/env bash
# Debian packages the test suite uses, installed only when missing.
set -euo pipefail
need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# Debian's Chromium for the browser end-to-end test (tests/node/browser.node.mjs).
[ -x /usr/bin/chromium ] || need+=(chromium)
# tests/redis.test.ts starts a real redis-server (redis-cli comes with it).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # A mirror can fail for a moment: try three times before giving up.
  for try in 1 2 3; do
    if $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; then
      exit 0
    fi
    echo "install-system-deps: apt-get failed (try $try of 3)" >&2
    sleep $((try * 5))
  done
  exit 1
fi
