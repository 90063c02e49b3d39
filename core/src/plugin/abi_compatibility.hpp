// The ABI compatibility rule, written once (STYLE.md): same major, plugin minor not newer than the host's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cim/version.h"

namespace cim::core {

struct AbiVersion {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    std::uint32_t patch = 0;
    std::string to_string() const;  ///< "MAJOR.MINOR.PATCH"
};

/// The version this host was compiled with.
inline constexpr AbiVersion host_abi_version() {
    return {CIM_ABI_VERSION_MAJOR, CIM_ABI_VERSION_MINOR, CIM_ABI_VERSION_PATCH};
}

/// Why a plugin built against `plugin` cannot load into a host of `host`, or nullopt when it can.
/// The reason names both versions, e.g. "built for ABI 2.0.0, this runtime speaks ABI 1.0.0 (majors differ)".
std::optional<std::string> abi_incompatibility(const AbiVersion& plugin, const AbiVersion& host = host_abi_version());

}  // namespace cim::core
