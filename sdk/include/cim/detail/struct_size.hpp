// cim/detail/struct_size.hpp — reading and writing the ABI's growable structs (`uint32_t struct_size` first).
//
// abi.h's rule: a field exists for the reader only when `offsetof(field) + sizeof(field) <= struct_size`. A struct
// written by an older peer is shorter than ours, so reading past its size would read someone else's memory; a newer
// peer's struct is longer, and the fields we do not know are simply never looked at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace cim::detail {

/// sizeof(S) as the `uint32_t` every ABI struct starts with.
template <class S>
[[nodiscard]] constexpr std::uint32_t struct_size_of() noexcept {
    static_assert(sizeof(S) <= UINT32_MAX);
    return static_cast<std::uint32_t>(sizeof(S));
}

/// A zero-filled S whose struct_size says "written against this SDK's abi.h" — how every struct we hand out starts.
template <class S>
[[nodiscard]] constexpr S make_sized() noexcept {
    S s{};
    s.struct_size = struct_size_of<S>();
    return s;
}

/**
 * Where `member` ends in our own layout of S: offsetof(S, member) + sizeof(member).
 *
 * offsetof() takes a member *name*, which a function cannot receive, and a macro per accessor would spread the rule
 * over every call site. So the generic helpers take a member pointer instead and measure the member inside a
 * value-initialized probe object; for the standard-layout ABI structs that is exactly offsetof (the SDK's tests check
 * it field by field against offsetof), and the compiler folds it to a constant.
 */
template <class S, class M>
[[nodiscard]] inline std::size_t field_end(M S::*member) noexcept {
    static_assert(std::is_standard_layout_v<S> && std::is_trivially_copyable_v<S>,
                  "field_end: only the plain C structs of abi.h have a stable offsetof");
    static constexpr S probe{};
    const auto base = reinterpret_cast<std::uintptr_t>(&probe);
    const auto field = reinterpret_cast<std::uintptr_t>(&(probe.*member));
    return static_cast<std::size_t>(field - base) + sizeof(M);
}

/**
 * True when the writer's `s.struct_size` covers `member`, i.e. the field was part of the struct the writer compiled
 * against and may be read. Fields past it must be treated as zero / empty.
 *
 *     if (detail::has_field(*host, &cim_host_t::now_ms) && host->now_ms != nullptr) ...
 */
template <class S, class M>
[[nodiscard]] inline bool has_field(const S& s, M S::*member) noexcept {
    return field_end(member) <= s.struct_size;
}

}  // namespace cim::detail
