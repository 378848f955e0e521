#!/usr/bin/env bash
# Installs the Debian packages warden needs to build and test. Runs as root on a fresh Debian 12
# machine; skips what is already installed so it is quick to re-run.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    libyaml-dev libssl-dev libjansson-dev libcmocka-dev libseccomp-dev libqrencode-dev
    libmicrohttpd-dev libc-ares-dev curl wrk python3
    clang clang-format libclang-rt-14-dev
    openssl oathtool
    bubblewrap
    python3-yaml
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages already installed"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
