#!/usr/bin/env bash
# scripts/chromium-up.sh — install Debian's chromium (/usr/bin/chromium) and a font for the report's browser test
# (test/report/report.test.ts, driven by playwright-core, which brings no browser). Idempotent: installs only
# what is missing, then checks that chromium starts. Needs root to install.
set -euo pipefail
die() { echo "chromium-up.sh: ERROR: $*" >&2; exit 1; }

# shellcheck source=apt-missing.sh
source "$(dirname "$0")/apt-missing.sh"
apt_install_missing chromium chromium fonts-dejavu-core
version=$(/usr/bin/chromium --version 2>/dev/null) || die "/usr/bin/chromium does not start"
echo "chromium-up.sh: $version"
