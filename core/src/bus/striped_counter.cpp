#include "bus/striped_counter.hpp"

namespace cim::core::striped_detail {

std::size_t this_thread_stripe(std::size_t count) noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
    return mine & (count - 1);
}

}  // namespace cim::core::striped_detail
