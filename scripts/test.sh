#!/usr/bin/env bash
# Builds cimrt and runs the whole test suite: README's test command, and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMRT_BUILD_TESTS=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --parallel "$(nproc)"

# The fuzzers need clang's libFuzzer while the build above uses g++, so they get a tree of their own in which only
# they are built (everything in it is instrumented). Each runs briefly over its seed corpus; a crash fails the suite.
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMRT_BUILD_TESTS=OFF \
  -DCIMRT_BUILD_FUZZERS=ON >/dev/null
cmake --build build/fuzz --target cimrt_fuzzers
ctest --test-dir build/fuzz --output-on-failure --parallel "$(nproc)"
