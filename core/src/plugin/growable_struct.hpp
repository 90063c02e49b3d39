// Reading the ABI's growable structs the way abi.h prescribes: zero-fill, copy what both sides know, and test that a
// field exists before trusting it. (OBS does this; Fluent Bit's blind memcpy is the counter-example.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

namespace cim::core {

/// A zero-filled copy of `raw` holding min(raw.struct_size, sizeof(Struct)) bytes of it; struct_size keeps the
/// writer's value so field_present() can tell appended fields from absent ones.
template <typename Struct>
Struct read_growable(const Struct& raw) {
    Struct copy{};
    std::memcpy(static_cast<void*>(&copy), &raw, std::min<std::size_t>(raw.struct_size, sizeof(Struct)));
    copy.struct_size = raw.struct_size;
    return copy;
}

}  // namespace cim::core

/// True when the writer's struct_size covers `field` of the struct object `s`.
#define CIM_FIELD_PRESENT(s, field) \
    (offsetof(std::remove_cvref_t<decltype(s)>, field) + sizeof((s).field) <= (s).struct_size)
