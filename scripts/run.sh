#!/usr/bin/env bash
# README's first command: installs what cimrt needs, builds it, and runs the main job on ./runtime.toml.
# Extra arguments go to `cimrt run` (e.g. --log-level debug). Ctrl-C drains and stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
# The same configuration as scripts/test.sh, so the two commands share one build.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMRT_BUILD_TESTS=ON >/dev/null
cmake --build build
exec build/cimrt run runtime.toml "$@"
