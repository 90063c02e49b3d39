#!/usr/bin/env bash
# Installs the Debian packages cimrt builds, tests and runs with; with --test also what the test suite needs
# beyond the build: Chromium and Node.js for the browser test, and its npm packages (tests/browser, from the lock file);
# libFuzzer and clang's sanitizer runtimes for the fuzzers (tests/fuzz).
# Idempotent and quiet: when everything is already present it prints nothing and touches nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_tests=false
[ "${1:-}" = "--test" ] && with_tests=true

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-filesystem-dev libboost-system-dev   # Asio, DLL, Beast
  libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsqlite3-dev catch2
  libsodium-dev                                              # agents' salted password hashes (argon2id)
  libjemalloc-dev                                            # the cimrt executable's allocator
  libsystemd-dev                                             # sd_notify: the packaged unit is Type=notify
  clang libc++-dev libc++abi-dev                             # the cross-stdlib plugin test
  graphviz                                                   # `cimrt graph` output is checked with dot
  nats-server libnats-dev                                    # scale-out and benchmark baseline
)

if $with_tests; then
  packages+=(chromium nodejs)                                # tests/browser: playwright-core drives Debian's Chromium
  packages+=(libfuzzer-14-dev libclang-rt-14-dev)            # tests/fuzz: clang 14's libFuzzer, ASan and UBSan
  packages+=(prometheus)                                     # promtool: checks /metrics' exposition format
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs comes without npm (NodeSource's includes it).
if $with_tests && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser test's npm packages, exactly as locked; again only when the lock file changed since the last install.
if $with_tests; then
  installed=tests/browser/node_modules/.package-lock.json
  if [ ! -f "$installed" ] || [ tests/browser/package-lock.json -nt "$installed" ]; then
    echo "Installing the browser test's npm packages (tests/browser)"
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
