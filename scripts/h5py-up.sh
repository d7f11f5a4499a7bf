#!/usr/bin/env bash
# scripts/h5py-up.sh — install Debian's python3-h5py, the independent reader of dataset.h5 in the HDF5 dataset test
# (test/collect/hdf5.test.ts runs /usr/bin/python3, which sees Debian's dist-packages). Idempotent: installs only
# when it is missing, then checks that h5py imports. Needs root to install.
set -euo pipefail
die() { echo "h5py-up.sh: ERROR: $*" >&2; exit 1; }

if ! dpkg-query -W -f='${Status}' python3-h5py 2>/dev/null | grep -q 'install ok installed'; then
  [ "$(id -u)" = 0 ] || die "python3-h5py missing, and installing needs root: sudo bash $0"
  echo "[h5py-up.sh] installing: python3-h5py"
  log=/tmp/arrayflow-h5py-apt.log
  apt-get -o DPkg::Lock::Timeout=600 update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends python3-h5py >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install python3-h5py failed"; }
fi
version=$(/usr/bin/python3 -c 'import h5py; print(h5py.__version__)' 2>&1) || die "/usr/bin/python3 cannot import h5py: $version"
echo "h5py-up.sh: h5py $version"
