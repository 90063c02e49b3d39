// The hash that maps a conversation to its shard. FNV-1a, 64 bit: stable across processes and platforms, unlike
// std::hash, because the same mapping will assign conversations to partitions when runtimes scale out (DESIGN §7).
#pragma once

#include <cstdint>
#include <string_view>

namespace cim::core {

constexpr std::uint64_t routing_hash(std::string_view key) noexcept {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : key) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

}  // namespace cim::core
