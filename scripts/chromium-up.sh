#!/usr/bin/env bash
# scripts/chromium-up.sh — install Debian's chromium (/usr/bin/chromium) for the report's browser test
# (test/report/browser.test.ts). Idempotent: does nothing when chromium already runs. Needs root.
set -euo pipefail
die() { echo "chromium-up.sh: ERROR: $*" >&2; exit 1; }

if ! /usr/bin/chromium --version >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "chromium is missing and installing it needs root (apt-get install chromium)"
  echo "[chromium-up.sh] installing: chromium"
  apt-get -o DPkg::Lock::Timeout=600 update -q >/tmp/arrayflow-chromium-apt.log 2>&1 \
    || { tail -n 20 /tmp/arrayflow-chromium-apt.log >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
    chromium fonts-dejavu-core >>/tmp/arrayflow-chromium-apt.log 2>&1 \
    || { tail -n 20 /tmp/arrayflow-chromium-apt.log >&2; die "apt-get install chromium failed"; }
fi
echo "chromium-up.sh: $(/usr/bin/chromium --version 2>/dev/null || die 'chromium does not start')"
