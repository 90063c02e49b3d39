#include "scenarios/idle_scenario.hpp"

#include <chrono>
#include <thread>

#include <malloc.h>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"

namespace cim::bench {

Measurement run_idle_scenario(std::size_t conversations, const BenchPaths& paths) {
    const auto journal = paths.work_dir / "idle.db";
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(journal.string() + suffix);
    const std::string toml = "[runtime]\nthreads = 2\n[store]\nkind = \"sqlite\"\npath = \"" + journal.string() +
                             "\"\nsync = \"off\"\n[sessions]\ncustomer_inactivity_timeout = \"24h\"\n";
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::make_runtime(cim::core::parse_config(toml, "<bench>", paths.work_dir), quiet,
                                              std::make_unique<cim::core::SystemClock>());
    runtime->start();

    const auto publish = [&](const std::string& line) {
        while (!runtime->publish_json(line).accepted()) std::this_thread::yield();
    };
    // Warm up (threads, SQLite cache, allocator arenas) before the baseline reading.
    for (int i = 0; i < 1000; ++i) {
        publish(R"({"name":"CUSTOMER_MESSAGE","conversationId":"warm-)" + std::to_string(i) + R"(","customerId":"w"})");
    }
    runtime->drain();
    malloc_trim(0);
    const std::uint64_t before = current_rss_bytes();
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < conversations; ++i) {
        const std::string n = std::to_string(i);
        publish(R"({"name":"CHANNEL_SESSION_STARTED","conversationId":"idle-conversation-)" + n +
                R"(","channelSessionId":"idle-session-)" + n + R"(","customerId":"idle-customer-)" + n +
                R"(","emitter":{"id":"web","type":"CONNECTOR"},"data":{"id":"idle-session-)" + n + R"(","interactive":false}})");
        publish(R"({"name":"CUSTOMER_MESSAGE","conversationId":"idle-conversation-)" + n +
                R"(","channelSessionId":"idle-session-)" + n + R"(","customerId":"idle-customer-)" + n +
                R"(","emitter":{"id":"idle-customer-)" + n + R"(","type":"CUSTOMER"},"data":{"body":{"type":"PLAIN","markdownText":"hello"}}})");
    }
    runtime->drain();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    malloc_trim(0);
    const std::uint64_t after = current_rss_bytes();
    Measurement m;
    m.name = "idle conversations x" + std::to_string(conversations);
    m.events_per_s = static_cast<double>(2 * conversations) / seconds;
    m.rss_mib = peak_rss_mib();
    const double per_conversation = static_cast<double>(after - before) / static_cast<double>(conversations);
    m.extra["conversations"] = conversations;
    m.extra["bytes_per_conversation"] = per_conversation;
    runtime->stop();
    return m;
}

}  // namespace cim::bench
