// One plugin shared object, opened with Boost.DLL and checked before anything of it runs beyond its entry symbol.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "cim/abi.h"
#include "plugin/abi_compatibility.hpp"
#include "plugin/manifest.hpp"

namespace cim::core {

/// Loading a plugin failed; the message names the file and the reason (both ABI versions for a version mismatch).
struct PluginLoadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A loaded plugin library. Shared by every instance created from it, so the code stays mapped until the last
/// object the library made is gone (DESIGN §3).
class PluginLibrary {
public:
    /// Opens `path` (RTLD_NOW, local), resolves `cim_plugin_entry`, checks the ABI version and the table's required
    /// hooks, and reads the manifest. Throws PluginLoadError naming `path`. With `open_as` (another name for the
    /// same file, e.g. a symlink), that name is what the dynamic loader opens: the loader returns the copy already
    /// loaded for a name it knows, so a hot reload opens a replaced .so under a fresh name to get its new code while
    /// the old copy still runs (docs/reload.md).
    static std::shared_ptr<const PluginLibrary> load(const std::filesystem::path& path,
                                                     const std::filesystem::path& open_as = {});

    const std::filesystem::path& path() const noexcept { return path_; }
    const Manifest& manifest() const noexcept { return manifest_; }
    AbiVersion abi_version() const noexcept { return abi_version_; }
    /// The host's zero-filled copy of the plugin's table: hooks the plugin's table did not cover are NULL.
    const cim_plugin_t& table() const noexcept { return table_; }

private:
    PluginLibrary() = default;

    boost::dll::shared_library library_;
    std::filesystem::path path_;
    cim_plugin_t table_{};
    AbiVersion abi_version_;
    Manifest manifest_;
};

}  // namespace cim::core
