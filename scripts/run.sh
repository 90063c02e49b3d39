#!/usr/bin/env bash
# README's first command: installs what cimrt needs, builds it, and runs the main job on ./runtime.toml.
# Extra arguments go to `cimrt run` (e.g. --log-level debug). Ctrl-C drains and stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
# The same configuration as scripts/test.sh, so the two commands share one build: what is built here is not built
# again by the tests.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMRT_BUILD_TESTS=ON >/dev/null

# Only what running needs: the executable and the in-tree plugins runtime.toml enables — not the tests, fixtures or
# benchmarks, which are most of the build. A [plugins.NAME] table is enabled unless it says `enabled = false`; a
# plugin with no target of that name is the operator's own .so (its `path`), and is not ours to build.
enabled_plugins() {
  awk '
    /^[[:space:]]*\[plugins\.[A-Za-z0-9_-]+\][[:space:]]*(#.*)?$/ {
      current = $0
      sub(/^[[:space:]]*\[plugins\./, "", current)
      sub(/\].*$/, "", current)
      if (!(current in enabled)) order[++count] = current
      enabled[current] = 1
      next
    }
    /^[[:space:]]*\[/ { current = ""; next }   # any other table, [[plugins.NAME.list]] included, is not the plugin table
    current != "" && /^[[:space:]]*enabled[[:space:]]*=[[:space:]]*false/ { enabled[current] = 0 }
    END { for (i = 1; i <= count; i++) if (enabled[order[i]]) print order[i] }
  ' runtime.toml
}
targets=(cimrt)
for plugin in $(enabled_plugins); do
  if ninja -C build -t query "$plugin" >/dev/null 2>&1; then targets+=("$plugin"); fi
done
cmake --build build --target "${targets[@]}"
exec build/cimrt run runtime.toml "$@"
