#include "store/memory_store.hpp"

#include <algorithm>

namespace cim::core {

bool matches(const JournalFilter& filter, const Event& event) {
    if (filter.conversation_id && event.conversation_id != *filter.conversation_id) return false;
    if (filter.customer_id && event.customer_id != *filter.customer_id) return false;
    if (filter.since_ms && event.timestamp_ms < *filter.since_ms) return false;
    if (filter.after_seq && event.journal_seq <= *filter.after_seq) return false;
    return true;
}

MemoryStore::MemoryStore(std::size_t partitions) {
    for (std::size_t i = 0; i < std::max<std::size_t>(partitions, 1); ++i) {
        partitions_.push_back(std::make_unique<Partition>());
    }
}

std::uint64_t MemoryStore::append(std::size_t partition, const std::vector<Event>& unit) {
    Partition& p = *partitions_[partition % partitions_.size()];
    std::lock_guard lock(p.mutex);
    for (const Event& event : unit) {
        const std::uint64_t sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed);
        p.journal.emplace_back(sequence, event);
        p.journal.back().second.journal_seq = static_cast<std::int64_t>(sequence);
    }
    return 0;  // durable at once: nothing to wait for
}

void MemoryStore::read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) {
    std::vector<std::pair<std::uint64_t, Event>> all;
    for (const auto& p : partitions_) {
        std::lock_guard lock(p->mutex);
        for (const auto& entry : p->journal) {
            if (matches(filter, entry.second)) all.push_back(entry);
        }
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    count_journal_read(all.size());
    for (const auto& entry : all) visit(entry.second);
}

std::uint64_t MemoryStore::journal_size() {
    std::uint64_t n = 0;
    for (const auto& p : partitions_) {
        std::lock_guard lock(p->mutex);
        n += p->journal.size();
    }
    return n;
}

std::uint64_t MemoryStore::append_state(std::size_t, const std::vector<StateWrite>& writes) {
    std::lock_guard lock(state_mutex_);
    for (const StateWrite& write : writes) apply_state_write(state_, write);
    return 0;
}

void MemoryStore::read_state(const std::function<void(const StateWrite&)>& visit) {
    std::lock_guard lock(state_mutex_);
    for (const auto& [where, value] : state_) {
        visit({StateWrite::Op::put, std::get<0>(where), std::get<1>(where), std::get<2>(where), value});
    }
}

void apply_state_write(std::map<std::tuple<std::string, std::string, std::string>, std::string>& table,
                       const StateWrite& write) {
    switch (write.op) {
        case StateWrite::Op::put: table[{write.plugin, write.scope, write.key}] = write.value; break;
        case StateWrite::Op::erase: table.erase({write.plugin, write.scope, write.key}); break;
        case StateWrite::Op::erase_scope:
            for (auto it = table.begin(); it != table.end();) {
                const bool plugin_matches = write.plugin.empty() || std::get<0>(it->first) == write.plugin;
                it = plugin_matches && std::get<1>(it->first) == write.scope ? table.erase(it) : std::next(it);
            }
            break;
    }
}

}  // namespace cim::core
