#!/usr/bin/env bash
# Install the Debian packages the project needs when what they provide is missing.
# Usage: scripts/system-packages.sh PROBE:PACKAGE[,PACKAGE...] ...
# PROBE is a command looked up on the PATH (dot, chromium) or, for a package that installs
# no command (a font), an absolute path to a file it installs
# (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc).
# As root it runs apt-get; otherwise it says exactly what to run and fails.
set -euo pipefail

# A probe is a command (looked for on the PATH and, since a normal user's PATH has no sbin
# directories where Debian puts nginx, in /usr/sbin and /sbin) or an absolute file path.
present() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac
}

missing=()
for spec in "$@"; do
  probe="${spec%%:*}"
  pkgs="${spec#*:}"
  if ! present "$probe"; then
    IFS=',' read -r -a list <<< "$pkgs"
    missing+=("${list[@]}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
