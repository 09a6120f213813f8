#!/usr/bin/env bash
# Installs Mesa's CPU Vulkan driver (lavapipe) so that the WebGPU backend (Dawn) runs without a GPU.
# Debian bookworm's own Mesa 22.3 is rejected by Dawn; the bookworm-backports build (Mesa 25) works.
# Needs root (or sudo) and access to Debian's package mirrors.
set -euo pipefail
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && dpkg -s mesa-vulkan-drivers 2>/dev/null | grep -q '^Version: 2[4-9]'; then
  echo "lavapipe already installed: $(dpkg -s mesa-vulkan-drivers | grep '^Version')"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/backports.list >/dev/null
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers libvulkan1
else
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q mesa-vulkan-drivers libvulkan1
fi
