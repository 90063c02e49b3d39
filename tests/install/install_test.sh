#!/usr/bin/env bash
# Installs cimrt into a temporary prefix and builds the two example projects against it, as a third party and an
# embedding product would; then loads the freshly built plugin through the real CLI and runs the embed program.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null

cmake -S "$source/examples/hello-plugin" -B "$work/hello" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/hello" >/dev/null
cmake -S "$source/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/embed" >/dev/null

cat > "$work/runtime.toml" <<TOML
[store]
kind = "memory"
[plugins.hello]
path = "$work/hello/hello.so"
greeting = "Hi from the installed SDK"
TOML
"$work/prefix/bin/cimrt" check "$work/runtime.toml"
echo '{"name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1","data":{"body":{"markdownText":"hi"}}}' |
  "$work/prefix/bin/cimrt" publish "$work/runtime.toml" -
"$work/embed/embed" "$work/hello/hello.so"
echo "install test: OK"
