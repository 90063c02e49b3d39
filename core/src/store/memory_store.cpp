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

std::uint64_t MemoryStore::append(std::size_t partition, const std::vector<EventPtr>& unit) {
    Partition& p = *partitions_[partition % partitions_.size()];
    std::lock_guard lock(p.mutex);
    for (const EventPtr& event : unit) {
        p.journal.emplace_back(next_sequence_.fetch_add(1, std::memory_order_relaxed), event);  // shared, not copied
    }
    return 0;  // durable at once: nothing to wait for
}

void MemoryStore::read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) {
    // Readers see journal_seq, which the shared admitted event does not carry: each one visited is a copy that does.
    JournalFilter by_content = filter;
    by_content.after_seq.reset();  // tested against the sequence, before anything is copied
    std::vector<Event> all;
    for (const auto& p : partitions_) {
        std::lock_guard lock(p->mutex);
        for (const auto& [sequence, event] : p->journal) {
            const auto seq = static_cast<std::int64_t>(sequence);
            if ((filter.after_seq && seq <= *filter.after_seq) || !matches(by_content, *event)) continue;
            Event& entry = all.emplace_back(*event);
            entry.journal_seq = seq;
        }
    }
    std::sort(all.begin(), all.end(), [](const Event& a, const Event& b) { return a.journal_seq < b.journal_seq; });
    count_journal_read(all.size());
    for (const Event& entry : all) visit(entry);
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
