#!/usr/bin/env bash
# Builds cimrt and runs the whole test suite: README's test command, and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMRT_BUILD_TESTS=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
