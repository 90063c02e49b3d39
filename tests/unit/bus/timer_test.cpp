#include "bus/timer_service.hpp"

#include <condition_variable>
#include <mutex>
#include <vector>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "../support/test_endpoint.hpp"
#include "bus/bus.hpp"

using namespace cim::core;

namespace {

// Records fired tokens; the executor runs callbacks inline on the timer thread, which is enough to observe order.
struct FiredLog {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int> fired;

    TimerService::Callback record(int value) {
        return [this, value] {
            std::lock_guard lock(mutex);
            fired.push_back(value);
            changed.notify_all();
        };
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(10), [&] { return fired.size() >= n; });
    }
    std::vector<int> snapshot() {
        std::lock_guard lock(mutex);
        return fired;
    }
};

}  // namespace

TEST_CASE("timers on a manual clock fire only when time reaches them, in deadline order", "[timer]") {
    ManualClock clock;
    FiredLog log;
    TimerService timers(clock, [](TimerService::Callback cb) { cb(); });
    const int owner = 0;

    REQUIRE(timers.schedule(1000, &owner, 1, log.record(1000)));
    REQUIRE(timers.schedule(500, &owner, 2, log.record(500)));
    REQUIRE(timers.schedule(500, &owner, 3, log.record(501)));  // same deadline: scheduling order
    REQUIRE(timers.pending() == 3);

    clock.advance(499);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(log.snapshot().empty());

    clock.advance(1);
    REQUIRE(log.wait_for(2));
    REQUIRE(log.snapshot() == std::vector<int>{500, 501});

    clock.advance(500);
    REQUIRE(log.wait_for(3));
    REQUIRE(log.snapshot() == std::vector<int>{500, 501, 1000});
    REQUIRE(timers.pending() == 0);
}

TEST_CASE("cancel removes every timer of an owner and token, and only those", "[timer]") {
    ManualClock clock;
    FiredLog log;
    TimerService timers(clock, [](TimerService::Callback cb) { cb(); });
    const int a = 0, b = 0;
    timers.schedule(10, &a, 7, log.record(1));
    timers.schedule(20, &a, 7, log.record(2));
    timers.schedule(10, &b, 7, log.record(3));  // another owner, same token
    timers.schedule(10, &a, 8, log.record(4));
    timers.cancel(&a, 7);
    REQUIRE(timers.pending() == 2);
    clock.advance(100);
    REQUIRE(log.wait_for(2));
    auto fired = log.snapshot();
    std::sort(fired.begin(), fired.end());
    REQUIRE(fired == std::vector<int>{3, 4});

    timers.stop();
    REQUIRE_FALSE(timers.schedule(1, &a, 1, log.record(9)));
}

TEST_CASE("plugin timers go through the bus, and a failing on_timer is counted", "[timer][bus]") {
    Catalogue catalogue;
    ManualClock clock;
    std::ostringstream out;
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    Bus bus(catalogue, clock, {2, 4, 64}, logger);
    cim::test::TestEndpoint sla("sla", {}, {});
    bus.add_endpoint(sla);
    bus.start();

    REQUIRE(bus.schedule_timer(sla, 60'000, 42));
    REQUIRE(bus.schedule_timer(sla, 30'000, 41));
    bus.cancel_timer(sla, 41);
    clock.advance(59'999);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(sla.timers().empty());
    clock.advance(1);
    REQUIRE(sla.wait_for_timers(1));
    REQUIRE(sla.timers() == std::vector<std::uint64_t>{42});

    sla.fail_timers("on_timer returned error code 1: no way");
    REQUIRE(bus.schedule_timer(sla, 0, 43));
    clock.advance(0);
    REQUIRE(sla.wait_for_timers(2));
    bus.drain();
    REQUIRE(sla.counters().failed == 1);
    REQUIRE_THAT(out.str(), Catch::Contains("plugin 'sla' failed on timer 43: on_timer returned error code 1: no way"));

    bus.stop();
    REQUIRE_FALSE(bus.schedule_timer(sla, 1, 44));
}
