// The harnesses' assertion: a broken invariant must stop libFuzzer exactly like a crash does, so it saves the input
// and the CTest run goes red. assert() would vanish under NDEBUG (RelWithDebInfo), hence a function of our own.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace cim::fuzz {

inline void check(bool holds, std::string_view invariant) {
    if (holds) return;
    std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(invariant.size()), invariant.data());
    std::abort();
}

}  // namespace cim::fuzz
