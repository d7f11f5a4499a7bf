#!/usr/bin/env bash
# scripts/chromium-up.sh — install Debian's chromium (/usr/bin/chromium) and a font for the report's browser test
# (test/report/report.test.ts, driven by playwright-core, which brings no browser). Idempotent: installs only
# what is missing, then checks that chromium starts. Needs root to install.
set -euo pipefail
die() { echo "chromium-up.sh: ERROR: $*" >&2; exit 1; }

missing=()
for p in chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "${missing[*]} missing, and installing needs root: sudo bash $0"
  echo "[chromium-up.sh] installing: ${missing[*]}"
  log=/tmp/arrayflow-chromium-apt.log
  apt-get -o DPkg::Lock::Timeout=600 update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install ${missing[*]} failed"; }
fi
version=$(/usr/bin/chromium --version 2>/dev/null) || die "/usr/bin/chromium does not start"
echo "chromium-up.sh: $version"
