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
# Node.js and npm run the third-party MCP server the integration tests contain
# (tests/npm). They are looked for as commands, not as package names: a machine may have
# Node.js from another source (NodeSource's nodejs package carries its own npm, and Debian's npm
# package cannot be installed beside it), and any node and npm found are used as they are.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages (and node, npm) already installed"
else
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pinned npm packages (package-lock.json), fetched now, online; the tests run offline.
# --ignore-scripts: no package runs code at install time.
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/npm"
if [ ! -f "$npm_dir/node_modules/.package-lock.json" ] ||
    [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in tests/npm"
    (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
