#!/usr/bin/env bash
# scripts/peers-up.sh — install the Debian Python packages the benchmark's peer imports (Enchanted Surrogates' gathering code, for
# `npm run bench -- import-peer --es PATH`): pandas, numpy, PyYAML and h5py for /usr/bin/python3 (its supervisor module imports all
# four). Idempotent: installs only what is missing, then checks that they import. Needs root to install. The peer itself is not
# fetched here: clone https://github.com/DIGIfusion/enchanted-surrogates outside this repository and pass its path as --es.
set -euo pipefail
die() { echo "peers-up.sh: ERROR: $*" >&2; exit 1; }

# shellcheck source=apt-missing.sh
source "$(dirname "$0")/apt-missing.sh"
apt_install_missing peers python3-pandas python3-numpy python3-yaml python3-h5py
versions=$(/usr/bin/python3 -c 'import pandas, numpy, yaml, h5py; print(f"pandas {pandas.__version__}, numpy {numpy.__version__}, PyYAML {yaml.__version__}, h5py {h5py.__version__}")' 2>&1) \
  || die "/usr/bin/python3 cannot import the peers' packages: $versions"
echo "peers-up.sh: $versions"
