// One event, shared (issue 13): an accepted event is one object that the journal's buffer and every consumer read —
// no per-consumer and no per-stage copy. Proven with an allocation counter (this executable replaces the global
// operator new, so every allocation of the runtime, on any thread, is counted) and with the payload's address as each
// consumer sees it.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <new>
#include <set>

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> bytes_allocated{0};

}  // namespace

// GCC cannot see that these replace the global pair together, and warns that free() meets operator new's memory.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) bytes_allocated.fetch_add(size, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

// Records where the payload it was handed lives.
class PayloadAddress : public cim::runtime::Handler {
public:
    explicit PayloadAddress(std::string name) : name_(std::move(name)) {}
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = name_;
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        addresses_.insert(event.data_text().data());
        size_ = event.data_text().size();
    }
    std::set<const char*> addresses() const {
        std::lock_guard lock(mutex_);
        return addresses_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return size_;
    }

private:
    std::string name_;
    mutable std::mutex mutex_;
    std::set<const char*> addresses_;
    std::size_t size_ = 0;
};

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

}  // namespace

TEST_CASE("an accepted event is one object shared by the journal and every consumer", "[shared_event]") {
    const std::size_t consumers = GENERATE(1, 4);
    auto runtime = cim::runtime::Runtime::from_string("[runtime]\nshards = 4\n[store]\nkind = \"memory\"\n",
                                                      std::filesystem::temp_directory_path(), quiet());
    std::vector<std::shared_ptr<PayloadAddress>> handlers;
    for (std::size_t i = 0; i < consumers; ++i) {
        handlers.push_back(std::make_shared<PayloadAddress>("consumer-" + std::to_string(i)));
        runtime->add_handler(handlers.back());
    }
    runtime->start();
    // Warm up (first-use allocations of the shard, the tracker's tables, the store's vectors) on another conversation.
    REQUIRE(runtime
                ->publish_json(R"({"name":"CUSTOMER_MESSAGE","conversationId":"warm","customerId":"u0",)"
                               R"("data":{"text":"hello"}})")
                .accepted());
    runtime->drain();

    const std::size_t payload = 256 * 1024;
    const std::string line = R"({"id":"big-1","name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1",)"
                             R"("data":{"text":")" +
                             std::string(payload, 'x') + R"("}})";
    bytes_allocated = 0;
    counting = true;
    const auto result = runtime->publish_json(line);
    runtime->drain();
    counting = false;
    REQUIRE(result.accepted());

    // Every consumer read the payload at one address: the same object, not a copy each.
    std::set<const char*> seen;
    for (const auto& handler : handlers) {
        REQUIRE(handler->size() > payload);
        for (const char* address : handler->addresses()) seen.insert(address);
    }
    CHECK(seen.size() == 2);  // the warm-up event's and the big one's, whatever the number of consumers
    // The wire reader's copy of the payload into the event is the one allowed; a copy into the journal, into the
    // delivery queue or per consumer would each add another 256 KiB.
    INFO("bytes allocated while publishing and delivering: " << bytes_allocated.load());
    CHECK(bytes_allocated.load() >= payload);  // the counter counts (a test that cannot fail proves nothing)
    CHECK(bytes_allocated.load() < payload + payload / 2);
    runtime->stop();
}
