// The in-memory store: for tests, benchmarks and embedders that keep no history. Everything is "durable" at once.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <tuple>
#include <memory>
#include <mutex>
#include <vector>

#include "store/store.hpp"

namespace cim::core {

class MemoryStore final : public Store {
public:
    explicit MemoryStore(std::size_t partitions);

    std::uint64_t append(std::size_t partition, const std::vector<EventPtr>& unit) override;
    std::uint64_t last_ticket(std::size_t) override { return 0; }
    void wait_durable(std::size_t, std::uint64_t) override {}
    void when_durable(std::size_t, std::uint64_t, DurableCompletion done) override { done({}); }
    bool acknowledge_after_durable() const override { return false; }
    bool accepting() const override { return true; }
    StoreHealth health() const override { return {}; }
    void set_durable_listener(DurableListener) override {}  // nothing is ever waited for
    bool flush(std::chrono::milliseconds) override { return true; }
    void read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) override;
    std::uint64_t journal_size() override;
    std::uint64_t append_state(std::size_t partition, const std::vector<StateWrite>& writes) override;
    void read_state(const std::function<void(const StateWrite&)>& visit) override;

private:
    // A journal per partition, so appends of different shards never share a lock; a global sequence number (an
    // atomic, not a lock) restores one order when reading.
    struct Partition {
        std::mutex mutex;
        std::vector<std::pair<std::uint64_t, EventPtr>> journal;  // (sequence, the event as admitted: journal_seq 0)
    };
    std::vector<std::unique_ptr<Partition>> partitions_;
    std::atomic<std::uint64_t> next_sequence_{1};
    // Plugin state: applied in place; the runtime keeps its own copy, so this only matters to a second reader.
    std::mutex state_mutex_;
    std::map<std::tuple<std::string, std::string, std::string>, std::string> state_;
};

/// Applies `write` to a state table keyed by (plugin, scope, key).
void apply_state_write(std::map<std::tuple<std::string, std::string, std::string>, std::string>& table,
                       const StateWrite& write);

/// True when `event` passes `filter`.
bool matches(const JournalFilter& filter, const Event& event);

}  // namespace cim::core
