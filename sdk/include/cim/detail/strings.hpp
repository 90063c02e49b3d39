// cim/detail/strings.hpp — between the ABI's `cim_str_t` views and std::string_view.
#pragma once

#include <string_view>

#include "cim/abi.h"

namespace cim::detail {

/// The bytes of a borrowed `cim_str_t`. A NULL pointer reads as empty whatever the size says: a broken peer must not
/// make us dereference NULL.
[[nodiscard]] constexpr std::string_view to_view(cim_str_t s) noexcept {
    return s.data != nullptr ? std::string_view(s.data, s.size) : std::string_view{};
}

/// A `cim_str_t` borrowing `s`'s bytes; valid as long as they are.
[[nodiscard]] constexpr cim_str_t to_abi(std::string_view s) noexcept {
    return cim_str_t{s.data(), s.size()};
}

}  // namespace cim::detail
