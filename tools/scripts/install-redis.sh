#!/usr/bin/env bash
# Installs redis-server (Debian package), which the distributed lane (npm run test:distributed) starts on a free
# loopback port. Idempotent: does nothing when redis-server is already on the PATH.
# Needs root (or sudo) and access to Debian's package mirrors.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server already installed: $(redis-server --version)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO apt-get install -y -q redis-server
redis-server --version
