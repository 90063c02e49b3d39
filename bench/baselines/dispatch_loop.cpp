// The dispatch limit: what handing each event to four consumers costs with nothing else in the way.
#include <atomic>
#include <chrono>

#include "baselines/baselines.hpp"
#include "event/catalogue.hpp"
#include "event/event.hpp"
#include "event/wire_json.hpp"

namespace cim::bench {
namespace {

using Consumer = void (*)(const cim_event_t*);

std::atomic<std::uint64_t> consumed{0};

// What a trivial consumer does with an event: look at it. Kept out of line so the loop really calls through the
// pointer.
[[gnu::noinline]] void consume(const cim_event_t* event) {
    consumed.fetch_add(event->id.size > 0 ? 1 : 0, std::memory_order_relaxed);
}

const Consumer consumers[4] = {&consume, &consume, &consume, &consume};

}  // namespace

std::vector<std::string> stamped_lines(const std::vector<WireEvent>& traffic) {
    std::vector<std::string> ids(traffic.size());
    std::vector<std::string> lines;
    lines.reserve(traffic.size());
    for (std::size_t i = 0; i < traffic.size(); ++i) {
        ids[i] = stamped_id(i);
        const auto& e = traffic[i];
        lines.push_back(e.with_ids(ids[i], e.refers_to >= 0 ? ids[static_cast<std::size_t>(e.refers_to)] : ""));
    }
    return lines;
}

Measurement run_dispatch_loop(const std::vector<WireEvent>& traffic) {
    const cim::core::Catalogue catalogue;
    std::vector<cim::core::Event> events;
    for (const auto& line : stamped_lines(traffic)) events.push_back(cim::core::parse_event_json(line, catalogue));
    std::vector<cim_event_t> views;
    for (const auto& e : events) views.push_back(cim::core::to_abi_view(e));

    // Repeated until the timing is well above the clock's resolution.
    std::size_t dispatched = 0;
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    do {
        for (const cim_event_t& view : views) {
            for (Consumer c : consumers) c(&view);
        }
        dispatched += views.size();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (seconds < 0.3);
    Measurement m;
    m.name = "dispatch loop";
    m.events_per_s = static_cast<double>(dispatched) / seconds;
    m.rss_mib = peak_rss_mib();
    return m;
}

Measurement run_parse_dispatch_loop(const std::vector<WireEvent>& traffic) {
    const cim::core::Catalogue catalogue;
    const auto lines = stamped_lines(traffic);
    const double cpu_before = cpu_time_us();
    const auto start = std::chrono::steady_clock::now();
    for (const auto& line : lines) {
        const cim::core::Event event = cim::core::parse_event_json(line, catalogue);
        const cim_event_t view = cim::core::to_abi_view(event);
        for (Consumer c : consumers) c(&view);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Measurement m;
    m.name = "parse + dispatch loop";
    m.events_per_s = static_cast<double>(lines.size()) / seconds;
    m.cpu_us_per_event = (cpu_time_us() - cpu_before) / static_cast<double>(lines.size());
    m.rss_mib = peak_rss_mib();
    return m;
}

}  // namespace cim::bench
