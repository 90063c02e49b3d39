#include "plugin/abi_compatibility.hpp"

namespace cim::core {

std::string AbiVersion::to_string() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<std::string> abi_incompatibility(const AbiVersion& plugin, const AbiVersion& host) {
    const std::string versions = "built for ABI " + plugin.to_string() + ", this runtime speaks ABI " + host.to_string();
    if (plugin.major != host.major) {
        return versions + " (majors differ: rebuild the plugin against a " + std::to_string(host.major) +
               ".x SDK)";
    }
    if (plugin.minor > host.minor) {
        return versions + " (the plugin needs a newer runtime: minor " + std::to_string(plugin.minor) + " > " +
               std::to_string(host.minor) + ")";
    }
    return std::nullopt;  // patch levels never matter
}

}  // namespace cim::core
