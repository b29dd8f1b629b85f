#!/usr/bin/env bash
# Installs the system packages WAVE needs, only those missing. Idempotent.
# Debian/Ubuntu: apt-get (root or sudo). macOS: see README (Homebrew); other systems: install by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(grep -v '^\s*#' "$here/system-packages.txt" | tr -s ' \n' ' ')
if ! command -v dpkg-query >/dev/null 2>&1; then
  if [ "$(uname)" = Darwin ]; then
    command -v fluidsynth >/dev/null 2>&1 || { echo "setup: install FluidSynth first: brew install fluid-synth" >&2; exit 1; }
    exit 0
  fi
  echo "setup: not a Debian system; install by hand: $pkgs" >&2
  exit 0
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup: installing system packages:$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
