#!/usr/bin/env bash
# Installs the Debian packages cimrt builds, tests and runs with.
# Idempotent and quiet: when every package is already present it prints nothing and touches nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-filesystem-dev libboost-system-dev   # Asio, DLL, Beast
  libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsqlite3-dev catch2
  clang libc++-dev libc++abi-dev                             # the cross-stdlib plugin test
  graphviz                                                   # `cimrt graph` output is checked with dot
  nats-server libnats-dev                                    # scale-out and benchmark baseline
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
