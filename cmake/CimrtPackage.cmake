# `cpack -G DEB` from a build tree: two Debian packages, written to the folder given with `cpack -B`.
#   cimrt      the `cimrt` executable, libcimrt, the in-tree plugins under <libdir>/cimrt/plugins, a default config
#              /etc/cimrt/runtime.toml (a conffile), a systemd unit (Type=notify) and the `cimrt` system user.
#   cimrt-dev  the SDK and embedding headers and the cimrt-sdk CMake package (find_package(cimrt-sdk 1)).
# Install rules name their component (runtime or dev); the service's files (component service, packaged with cimrt)
# are EXCLUDE_FROM_ALL, so `cmake --install build --prefix DIR` never writes to /etc or /lib.

set(CIMRT_PACKAGE_PREFIX /usr)
set(CIMRT_PACKAGE_BINDIR "${CIMRT_PACKAGE_PREFIX}/${CMAKE_INSTALL_BINDIR}")
set(CIMRT_PACKAGE_PLUGIN_DIR "${CIMRT_PACKAGE_PREFIX}/${CIMRT_PLUGIN_INSTALL_DIR}")
set(CIMRT_PACKAGE_DOCDIR "${CIMRT_PACKAGE_PREFIX}/share/doc/cimrt")
set(CIMRT_PACKAGE_CONFIG /etc/cimrt/runtime.toml)
# Debian 12 (bookworm) still ships units in /lib/systemd/system (usr-merged, it is /usr/lib/systemd/system too).
set(CIMRT_PACKAGE_UNIT_DIR /lib/systemd/system)

# The default config is the repository's runtime.toml — one contact center, documented once — with its relative,
# build-tree paths replaced by the installed ones. Each replacement must match: an edit of runtime.toml that breaks
# one stops the configure step instead of shipping a config that points into a build folder.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/runtime.toml")
file(READ "${PROJECT_SOURCE_DIR}/runtime.toml" config)
function(cimrt_package_config_replace pattern replacement)
  string(REGEX MATCH "${pattern}" found "${config}")
  if(NOT found)
    message(FATAL_ERROR "cmake/CimrtPackage.cmake: runtime.toml no longer matches '${pattern}'; update the rule")
  endif()
  string(REGEX REPLACE "${pattern}" "${replacement}" replaced "${config}")
  set(config "${replaced}" PARENT_SCOPE)
endfunction()
cimrt_package_config_replace("^#[^\n]*\n#[^\n]*\n#[^\n]*\n"
  "# cimrt's configuration as installed by the Debian package: a small contact center on loopback. `systemctl reload
# cimrt` (SIGHUP) applies an edit; check it first with `cimrt check /etc/cimrt/runtime.toml`. Every key is documented
# in /usr/share/doc/cimrt/README.md and in each plugin's README. This file is a conffile: an upgrade keeps your edits.
")
cimrt_package_config_replace("plugin_dir = \"build/plugins\"      #[^\n]*"
  "plugin_dir = \"${CIMRT_PACKAGE_PLUGIN_DIR}\"   # where [plugins.NAME] finds NAME.so
control_socket = \"/run/cimrt/cimrt.sock\"   # `cimrt reload` (root or the cimrt user); systemd creates /run/cimrt")
cimrt_package_config_replace("path = \"var/cimrt.db\""
  "path = \"/var/lib/cimrt/cimrt.db\"   # systemd creates /var/lib/cimrt (StateDirectory), owned by the cimrt user")
cimrt_package_config_replace("build/cimrt " "cimrt ")
file(WRITE "${PROJECT_BINARY_DIR}/package/runtime.toml" "${config}")
configure_file(packaging/debian/cimrt.service.in "${PROJECT_BINARY_DIR}/package/cimrt.service" @ONLY)

install(FILES "${PROJECT_BINARY_DIR}/package/runtime.toml" DESTINATION /etc/cimrt COMPONENT service EXCLUDE_FROM_ALL)
install(FILES "${PROJECT_BINARY_DIR}/package/cimrt.service" DESTINATION "${CIMRT_PACKAGE_UNIT_DIR}"
  COMPONENT service EXCLUDE_FROM_ALL)
install(FILES README.md docs/operating.md docs/reload.md docs/security.md DESTINATION "${CIMRT_PACKAGE_DOCDIR}"
  COMPONENT service EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME cimrt)
set(CPACK_PACKAGE_VENDOR cimrt)
set(CPACK_PACKAGE_CONTACT "cimrt maintainers <cimrt@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "contact-center event runtime with a plugin bus")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CIMRT_PACKAGE_PREFIX}")
# A package carries no debug info (it would be a -dbgsym package); stripping also keeps `cpack` fast.
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime service dev)
# runtime and service are one package, cimrt; dev is cimrt-dev.
set(CPACK_COMPONENT_RUNTIME_GROUP cimrt)
set(CPACK_COMPONENT_SERVICE_GROUP cimrt)
set(CPACK_COMPONENT_DEV_GROUP cimrt-dev)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CIMRT_PACKAGE_NAME cimrt)
set(CPACK_DEBIAN_CIMRT-DEV_PACKAGE_NAME cimrt-dev)
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY for both; these are the extended descriptions.
set(CPACK_DEBIAN_CIMRT_DESCRIPTION "cimrt loads plugins built against a stable C ABI, wires them from the events each
declares, tracks channel sessions and conversations and journals every accepted event. Runs as the systemd service
cimrt.")
set(CPACK_DEBIAN_CIMRT-DEV_DESCRIPTION "The plugin SDK and the embedding API: headers and the cimrt-sdk CMake package,
to build plugins (cimrt_add_plugin) or embed the runtime (cimrt::core).")
# Shared-library dependencies (libsystemd0, libsodium23, libsqlite3-0, libjemalloc2, ...) from dpkg-shlibdeps;
# adduser for the postinst.
set(CPACK_DEBIAN_CIMRT_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_CIMRT_PACKAGE_DEPENDS adduser)
# The CMake package's find_dependency(nlohmann_json), and the runtime of exactly this build.
set(CPACK_DEBIAN_CIMRT-DEV_PACKAGE_DEPENDS "cimrt (= ${PROJECT_VERSION}), nlohmann-json3-dev (>= 3.10)")
set(CPACK_DEBIAN_CIMRT_PACKAGE_CONTROL_EXTRA
  "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles"
  "${PROJECT_SOURCE_DIR}/packaging/debian/postinst"
  "${PROJECT_SOURCE_DIR}/packaging/debian/prerm"
  "${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
