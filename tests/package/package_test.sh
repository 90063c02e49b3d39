#!/usr/bin/env bash
# The Debian packages, built from this build tree as an operator's `cpack -G DEB` would, then unpacked into a scratch
# root (dpkg -x, dpkg -e): the files are where the unit and the config say, the unpacked `cimrt` runs from there, and
# the shipped /etc/cimrt/runtime.toml passes `cimrt check`. Leaves the root in OUT/root for package_unit_test.sh.
# Usage: package_test.sh BUILD_DIR OUT_DIR
set -euo pipefail
build=$1
out=$2
rm -rf "$out"
mkdir -p "$out/debs"

fail() { echo "package test: $*" >&2; exit 1; }

# -B keeps CPack's staging folders out of the build tree.
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out/debs" >"$out/cpack.log" 2>&1 ||
  { cat "$out/cpack.log" >&2; fail "cpack -G DEB failed"; }
rm -rf "$out/debs/_CPack_Packages"   # the staging copies; the .debs are what is tested
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
runtime_deb="$out/debs/cimrt_${version}_${arch}.deb"
dev_deb="$out/debs/cimrt-dev_${version}_${arch}.deb"
[ -f "$runtime_deb" ] || fail "no $runtime_deb (got: $(ls "$out/debs"))"
[ -f "$dev_deb" ] || fail "no $dev_deb (got: $(ls "$out/debs"))"

root="$out/root"
dpkg -x "$runtime_deb" "$root"
dpkg -x "$dev_deb" "$root"
dpkg -e "$runtime_deb" "$out/control"
# Listed once into files: grep -q on a pipe would stop dpkg-deb with SIGPIPE.
dpkg -c "$runtime_deb" | awk '{print $6}' >"$out/cimrt.files"
dpkg -c "$dev_deb" | awk '{print $6}' >"$out/cimrt-dev.files"

# What each package must hold; the libdir is the one the plugin_dir of the shipped config names.
plugin_dir=$(sed -n 's/^plugin_dir = "\([^"]*\)".*/\1/p' "$root/etc/cimrt/runtime.toml")
[ -n "$plugin_dir" ] || fail "/etc/cimrt/runtime.toml has no plugin_dir"
runtime_files=(usr/bin/cimrt etc/cimrt/runtime.toml lib/systemd/system/cimrt.service usr/share/doc/cimrt/README.md)
for plugin in channel bot agent survey; do runtime_files+=("${plugin_dir#/}/$plugin.so"); done
dev_files=(usr/include/cim/abi.h usr/include/cim/sdk.hpp usr/include/cim/runtime/runtime.hpp)
for f in "${runtime_files[@]}"; do
  grep -qx "\./$f" "$out/cimrt.files" || fail "cimrt.deb lacks /$f"
done
for f in "${dev_files[@]}"; do
  grep -qx "\./$f" "$out/cimrt-dev.files" || fail "cimrt-dev.deb lacks /$f"
done
grep -q '/cmake/cimrt-sdk/cimrt-sdkConfig\.cmake$' "$out/cimrt-dev.files" || fail "cimrt-dev.deb lacks the CMake package"
grep -q '/libcimrt\.so\.1$' "$out/cimrt.files" || fail "cimrt.deb lacks libcimrt.so.1"
if grep -q -e '/include/' -e '/libcimrt\.so$' "$out/cimrt.files"; then fail "cimrt.deb holds -dev files"; fi
if grep -q -e '/hello\.so$' -e '/fixtures/' "$out/cimrt.files"; then fail "cimrt.deb holds example or test plugins"; fi

# Control files: the maintainer scripts, the config as a conffile, the dependencies.
for script in postinst prerm postrm; do
  [ -x "$out/control/$script" ] || fail "no executable $script in cimrt.deb"
  sh -n "$out/control/$script" || fail "$script is not valid sh"
done
grep -qx /etc/cimrt/runtime.toml "$out/control/conffiles" || fail "/etc/cimrt/runtime.toml is not a conffile"
grep -q 'adduser --system' "$out/control/postinst" || fail "postinst does not create the cimrt system user"
depends=$(dpkg-deb -f "$runtime_deb" Depends)
for dep in adduser libsystemd0 libsodium; do
  [[ "$depends" == *"$dep"* ]] || fail "cimrt's Depends lacks $dep: $depends"
done
[[ "$(dpkg-deb -f "$dev_deb" Depends)" == *"cimrt (= $version)"* ]] || fail "cimrt-dev does not depend on cimrt (= $version)"

# The unit runs what the package installed, on the config it installed.
unit="$root/lib/systemd/system/cimrt.service"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "the unit does not reload with SIGHUP"
grep -qx 'ExecStart=/usr/bin/cimrt run /etc/cimrt/runtime.toml' "$unit" || fail "the unit's ExecStart: $(grep ExecStart= "$unit")"

# The shipped config, checked by the shipped binary. Every path in it is absolute (a relative one would resolve
# against /etc/cimrt); moved under the scratch root, they are exactly the installed plugins and the folders systemd
# creates (StateDirectory, RuntimeDirectory), so nothing else is adapted.
config="$root/etc/cimrt/runtime.toml"
if grep -nE '^[a-z_]*(dir|path|socket) = "[^/]' "$config"; then fail "the shipped config has a relative path"; fi
mkdir -p "$root/var/lib/cimrt" "$root/run/cimrt"
sed -E 's#^([a-z_]*(dir|path|socket) = ")/#\1'"$root"'/#' "$config" >"$out/runtime.toml"
[ "$(grep -c "= \"$root/" "$out/runtime.toml")" -eq 3 ] || fail "expected plugin_dir, control_socket and store path"
# The unpacked binary finds the unpacked libcimrt through its RPATH ($ORIGIN/../lib...), not the build tree's.
ldd "$root/usr/bin/cimrt" | grep libcimrt | grep -q "$root" || fail "unpacked cimrt does not load the unpacked libcimrt"
"$root/usr/bin/cimrt" --version
"$root/usr/bin/cimrt" check "$out/runtime.toml" || fail "cimrt check rejects the shipped config"
echo "package test: OK ($(basename "$runtime_deb"), $(basename "$dev_deb"))"
