#include "plugin/plugin_library.hpp"

#include <boost/dll/shared_library_load_mode.hpp>

#include "plugin/growable_struct.hpp"

namespace cim::core {
namespace {

// The first fields every version of the table has: enough to read the version before trusting anything else.
constexpr std::size_t versioned_prefix = offsetof(cim_plugin_t, abi_patch) + sizeof(std::uint32_t);

}  // namespace

std::shared_ptr<const PluginLibrary> PluginLibrary::load(const std::filesystem::path& path,
                                                         const std::filesystem::path& open_as) {
    const std::string where = "plugin " + path.string() + ": ";
    if (!std::filesystem::exists(path)) throw PluginLoadError(where + "no such file");

    std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
    lib->path_ = path;
    std::error_code ec;  // Boost.DLL speaks std:: types under BOOST_DLL_USE_STD_FS
    // RTLD_LOCAL keeps each plugin's symbols to itself: two plugins bundling different versions of one library, or a
    // libc++ plugin next to libstdc++ ones, must not interpose on each other.
    lib->library_.load(open_as.empty() ? path : open_as, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) throw PluginLoadError(where + "cannot be opened: " + ec.message());
    if (!lib->library_.has(CIM_PLUGIN_ENTRY_SYMBOL)) {
        throw PluginLoadError(where + "exports no '" CIM_PLUGIN_ENTRY_SYMBOL "' symbol (is it a cimrt plugin?)");
    }
    const auto entry = lib->library_.get<const cim_plugin_t*()>(CIM_PLUGIN_ENTRY_SYMBOL);
    const cim_plugin_t* raw = entry();
    if (raw == nullptr) throw PluginLoadError(where + CIM_PLUGIN_ENTRY_SYMBOL "() returned NULL");
    if (raw->struct_size < versioned_prefix) {
        throw PluginLoadError(where + "its plugin table is " + std::to_string(raw->struct_size) +
                              " bytes, too small to hold an ABI version");
    }

    lib->abi_version_ = {raw->abi_major, raw->abi_minor, raw->abi_patch};
    if (auto why = abi_incompatibility(lib->abi_version_)) throw PluginLoadError(where + *why);

    lib->table_ = read_growable(*raw);
    const cim_plugin_t& t = lib->table_;
    auto require = [&](bool present, const char* hook) {
        if (!present) throw PluginLoadError(where + "required hook '" + hook + "' is missing");
    };
    require(CIM_FIELD_PRESENT(t, manifest) && t.manifest != nullptr, "manifest");
    require(CIM_FIELD_PRESENT(t, create) && t.create != nullptr, "create");
    require(CIM_FIELD_PRESENT(t, destroy) && t.destroy != nullptr, "destroy");
    require(CIM_FIELD_PRESENT(t, last_error) && t.last_error != nullptr, "last_error");

    try {
        lib->manifest_ = read_manifest(*t.manifest);
    } catch (const std::invalid_argument& e) {
        throw PluginLoadError(where + "invalid manifest: " + e.what());
    }
    if (!lib->manifest_.consumes.empty() && t.on_event == nullptr) {
        throw PluginLoadError(where + "consumes events but has no 'on_event' hook");
    }
    return lib;
}

}  // namespace cim::core
