#!/usr/bin/env bash
# Install the Debian packages the project needs when their commands are missing.
# Usage: scripts/system-packages.sh COMMAND:PACKAGE[,PACKAGE...] ...
# As root it runs apt-get; otherwise it says exactly what to run and fails.
set -euo pipefail

# A normal user's PATH has no sbin directories, where Debian puts nginx.
found() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

missing=()
for spec in "$@"; do
  cmd="${spec%%:*}"
  pkgs="${spec#*:}"
  if ! found "$cmd"; then
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
