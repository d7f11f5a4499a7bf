# scripts/apt-missing.sh — sourced by the *-up.sh scripts: installs the Debian packages of a list that are not installed yet (one shared
# apt-get update + install, its log in /tmp, root needed only when something is missing). Usage: apt_install_missing NAME PKG...
# (NAME: the calling script's name in messages and the log's name). Needs the caller's die().
apt_install_missing() {
  local name=$1 p log
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || die "${missing[*]} missing, and installing needs root: sudo bash $0"
  echo "[$name.sh] installing: ${missing[*]}"
  log=/tmp/arrayflow-$name-apt.log
  apt-get -o DPkg::Lock::Timeout=600 update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install ${missing[*]} failed"; }
}
