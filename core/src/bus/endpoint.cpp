#include "bus/endpoint.hpp"

#include <chrono>
#include <exception>

namespace cim::core {
namespace {

template <class Call>
DeliveryOutcome guarded(Call&& call) noexcept {
    try {
        return call();
    } catch (const std::exception& e) {
        return {false, std::string("threw: ") + e.what()};
    } catch (...) {
        return {false, "threw an unknown exception"};
    }
}

}  // namespace

DeliveryOutcome Endpoint::deliver(const Event& event) noexcept {
    const auto started = std::chrono::steady_clock::now();
    DeliveryOutcome outcome = guarded([&] { return deliver_(event); });
    (outcome.ok ? counters_.delivered : counters_.failed).add();
    counters_.delivery_ns.add(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count()));
    return outcome;
}

DeliveryOutcome Endpoint::fire_timer(std::uint64_t token) noexcept {
    DeliveryOutcome outcome = guarded([&] { return fire_timer_(token); });
    if (!outcome.ok) counters_.failed.add();
    return outcome;
}

}  // namespace cim::core
