#!/usr/bin/env bash
# The packaged unit, checked by systemd itself: `systemd-analyze verify` against the unpacked package root (so the
# ExecStart binary it checks is the packaged one). Exit 77 (CTest: skipped) where systemd-analyze is missing or
# cannot verify even a trivial unit, as in a container without systemd.
# Usage: package_unit_test.sh OUT_DIR (package_test.sh's, which unpacked the root)
set -euo pipefail
out=$1
root="$out/root"
unit="$root/lib/systemd/system/cimrt.service"
[ -f "$unit" ] || { echo "package unit test: no $unit (package.deb runs first)" >&2; exit 1; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed"; exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$probe/cimrt-probe.service"
if ! systemd-analyze verify "$probe/cimrt-probe.service" >"$probe/log" 2>&1; then
  echo "SKIP: systemd-analyze verify does not work here: $(head -3 "$probe/log")"; exit 77
fi

# verify checks that ExecStart's binary exists on this system, where the package is not installed; --root=ROOT would
# look for systemd's own units and /bin/kill in the package root too. So the unit is verified as a copy whose binary
# path points into the unpacked root, the rest of it byte for byte; any message from verify fails the test.
sed "s#^ExecStart=/usr/bin/cimrt #ExecStart=$root/usr/bin/cimrt #" "$unit" >"$probe/cimrt.service"
if ! systemd-analyze verify "$probe/cimrt.service" >"$probe/log" 2>&1 || [ -s "$probe/log" ]; then
  cat "$probe/log" >&2
  echo "package unit test: systemd-analyze verify rejects cimrt.service" >&2
  exit 1
fi
echo "package unit test: OK (systemd-analyze verify $(systemd-analyze --version | head -1))"
