#include "runtime/session_stage.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_set>

#include "bus/event_id.hpp"
#include "event/wire_json.hpp"
#include "event/event_validation.hpp"
#include "sessions/conversation_json.hpp"

namespace cim::core {

SessionStage::SessionStage(ShardAccess& shards, Store& store, const Catalogue& catalogue, TrackerOptions options,
                           std::shared_ptr<spdlog::logger> logger)
    : shards_(shards), store_(store), waits_for_durable_(store.acknowledge_after_durable()), catalogue_(catalogue), options_(options), logger_(std::move(logger)),
      units_(shards.shard_count()), armed_(shards.shard_count(), 0), since_snapshot_(shards.shard_count(), 0),
      timelines_(shards.shard_count()) {
    trackers_.reserve(shards.shard_count());
    for (std::size_t i = 0; i < shards.shard_count(); ++i) trackers_.emplace_back(options);
}

void SessionStage::set_snapshot_interval(std::size_t events) {
    // Per partition, so no counter is shared between shards on the hot path; a partition reaching its share starts
    // a round in which every partition snapshots, which keeps their journal positions close together (the restore
    // reads the journal from the oldest of them).
    snapshot_every_ = events == 0 || !store_.keeps_snapshots() ? 0 : std::max<std::size_t>(1, events / trackers_.size());
}

void SessionStage::set_eviction_listener(std::function<void(const std::string&)> listener) {
    on_evicted_ = std::move(listener);
}

SessionStage::~SessionStage() { shards_.timers().cancel_all(this); }

AdmissionResult SessionStage::admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) {
    SessionTracker& tracker = trackers_[shard];
    const bool durable_first = store_.acknowledge_after_durable();
    // A late event for a conversation that left memory: its state and seen ids come back from the store first, so a
    // retry is still a duplicate and a new session reopens the conversation it belongs to.
    if (!event.conversation_id.empty() && tracker.was_evicted(event.conversation_id)) {
        if (auto failure = bring_back(shard, event.conversation_id)) return {AdmissionVerdict::failed, 0, *failure};
    }
    if (tracker.has_seen(event)) {
        duplicates_.fetch_add(1, std::memory_order_relaxed);
        // A duplicate answers as its original does: once everything appended before it (the original included,
        // same shard) is durable — so a retry of an event still in flight is not acknowledged ahead of it.
        return {AdmissionVerdict::duplicate, durable_first ? store_.last_ticket(shard) : 0, {}};
    }
    // Refused at the door, before the tracker sees it: a refused event leaves no trace anywhere.
    if (!store_.accepting()) {
        const StoreHealth health = store_.health();
        if (!health.writable) return {AdmissionVerdict::failed, 0, health.failure};
        return {AdmissionVerdict::busy, 0,
                "busy: the journal's writer is behind (store.max_backlog events wait for their commit); retry later"};
    }
    const Applied applied = tracker.apply(event);
    // The event may have moved a deadline (an inactivity expiry, a grace period): the shard's one timer follows the
    // earliest. A replay arms nothing: its times are history, and expiring them now would add events the journal
    // being replayed does not have.
    const bool replay = event.journal_seq != 0;
    const std::uint64_t ticket = admit_tracked(shard, std::move(event), publisher, admission, applied);
    if (!replay) {
        if (const auto next = tracker.next_expiry_ms()) arm(shard, *next);
    }
    return {AdmissionVerdict::admitted, durable_first ? ticket : 0, {}};
}

std::uint64_t SessionStage::admit_tracked(std::size_t shard, Event event, const Endpoint* publisher,
                                          Admission& admission, const Applied& applied) {
    if (!applied.warning.empty() && logger_) logger_->warn("sessions: {}", applied.warning);
    // The cause and everything derived from it are one unit: appended and committed together, so no crash can keep
    // a cause without its effects (which a restore would then never re-create).
    // The shard's own buffer, reused: no allocation per event on the hot path (the shard's lock guards it).
    // From here the event is immutable and shared: the store's buffer and every delivery hold the same object (one
    // allocation; its strings were moved in, not copied).
    std::vector<EventPtr>& unit = units_[shard];
    unit.clear();
    unit.push_back(std::make_shared<const Event>(std::move(event)));
    if (!applied.derived.empty()) derive(shard, unit, applied);
    const std::uint64_t ticket = store_.append(shard, unit);
    if (auto& live = timelines_[shard]; !live.empty()) {
        if (const auto it = live.find(unit.front()->conversation_id); it != live.end()) {
            for (const EventPtr& e : unit) {
                if (it->second.ready) {
                    it->second.timeline.add(*e);
                } else {
                    it->second.arrived.push_back(*e);
                }
            }
        }
    }
    if (snapshot_every_ != 0 && (since_snapshot_[shard] += unit.size()) >= snapshot_every_) request_snapshot_round();

    // A replay restores the record; it does not re-run the contact center (no bot answers twice, no webhook is sent
    // twice), so no plugin hears it.
    if (unit.front()->journal_seq != 0) return ticket;
    const std::uint64_t wait_for = store_.acknowledge_after_durable() ? ticket : 0;
    admission.deliver(std::move(unit.front()), publisher, wait_for);
    for (std::size_t i = 1; i < unit.size(); ++i) admission.deliver(std::move(unit[i]), nullptr, wait_for);
    unit.clear();  // the buffer keeps its capacity, not the events
    return ticket;
}

void SessionStage::derive(std::size_t shard, std::vector<EventPtr>& unit, const Applied& applied) {
    // What the tracker derived follows its cause: same shard, right after it, in the journal and in delivery. Ids are
    // the cause's plus a counter, never random: replaying the cause derives the very same events, so a replayed
    // journal's copies of them are recognised as duplicates instead of being applied twice.
    std::deque<Event> pending(applied.derived.begin(), applied.derived.end());
    std::size_t counter = 0;
    while (!pending.empty()) {
        Event next = std::move(pending.front());
        pending.pop_front();
        next.id = unit.front()->id + "+" + std::to_string(++counter);
        validate_event(next, catalogue_);  // resolves the kind; a failure here is a tracker bug and throws
        const Applied next_applied = trackers_[shard].apply(next);
        if (!next_applied.warning.empty() && logger_) logger_->warn("sessions: {}", next_applied.warning);
        pending.insert(pending.end(), next_applied.derived.begin(), next_applied.derived.end());
        unit.push_back(std::make_shared<const Event>(std::move(next)));
    }
}

void SessionStage::arm(std::size_t shard, std::int64_t deadline_ms) {
    if (armed_[shard] != 0 && armed_[shard] <= deadline_ms) return;  // an earlier wake-up is already set
    armed_[shard] = deadline_ms;
    const std::int64_t delay = std::max<std::int64_t>(0, deadline_ms - shards_.now_ms());
    shards_.timers().cancel(this, shard);
    shards_.timers().schedule(static_cast<std::uint64_t>(delay), this, shard, [this, shard] { on_expiry_timer(shard); });
}

void SessionStage::on_expiry_timer(std::size_t shard) {
    shards_.run_on_shard(shard, [&](Admission& admission) {
        armed_[shard] = 0;
        SessionTracker& tracker = trackers_[shard];
        try {
            Due due = tracker.take_due(shards_.now_ms());
            for (const std::string& id : due.evicted) {
                timelines_[shard].erase(id);
                evicted_.fetch_add(1, std::memory_order_relaxed);
                if (on_evicted_) on_evicted_(id);
            }
            for (Event& expired : due.expired) {
                // While the store cannot write, the expiry waits: the tracker reports it again next time.
                if (!store_.accepting()) break;
                expired.id = make_event_id();
                validate_event(expired, catalogue_);
                const Applied applied = tracker.apply(expired);
                if (applied.duplicate) continue;
                if (logger_) logger_->info("sessions: channel session {} of conversation {} expired on inactivity",
                                           expired.channel_session_id, expired.conversation_id);
                admit_tracked(shard, std::move(expired), nullptr, admission, applied);
            }
        } catch (const std::exception& e) {
            // A timer on a worker thread must never throw; the shard's other conversations go on.
            if (logger_) logger_->error("sessions: expiring on shard {} failed: {}", shard, e.what());
        }
        if (const auto next = tracker.next_expiry_ms()) {
            // Not sooner than a second from now when the store refused or something failed: no busy loop.
            const std::int64_t earliest = shards_.now_ms() + (store_.accepting() ? 0 : 1000);
            arm(shard, std::max(*next, earliest));
        }
    });
}

std::optional<std::string> SessionStage::bring_back(std::size_t shard, const std::string& conversation_id) {
    try {
        // Its entries are in this shard's partition: wait until they are readable (long since, after a grace
        // period). Only this partition: the writer takes shard locks to report commits, so no wider wait here.
        store_.wait_durable(shard, store_.last_ticket(shard));
        JournalFilter filter;
        filter.conversation_id = conversation_id;
        store_.read_journal(filter, [&](const Event& e) {
            check_event_text(e);
            trackers_[shard].apply(e);  // history: what it derives again is in the journal already
        });
    } catch (const std::exception& e) {
        if (logger_) logger_->error("sessions: conversation {} cannot be brought back from the store: {}", conversation_id, e.what());
        return std::string("conversation ") + conversation_id + " left memory and cannot be read back: " + e.what();
    }
    brought_back_.fetch_add(1, std::memory_order_relaxed);
    if (logger_) logger_->debug("sessions: conversation {} brought back from the store for a late event", conversation_id);
    if (const auto next = trackers_[shard].next_expiry_ms()) arm(shard, *next);
    return std::nullopt;
}

void SessionStage::write_snapshot(std::size_t shard) {
    const auto start = std::chrono::steady_clock::now();
    std::string body = trackers_[shard].snapshot();
    const auto held = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    store_.append_snapshot(shard, std::move(body));
    since_snapshot_[shard] = 0;
    snapshots_.fetch_add(1, std::memory_order_relaxed);
    auto longest = max_snapshot_us_.load(std::memory_order_relaxed);
    const auto us = static_cast<std::uint64_t>(held.count());
    while (us > longest && !max_snapshot_us_.compare_exchange_weak(longest, us)) {
    }
}

void SessionStage::request_snapshot_round() {
    // Under one shard's lock: the round runs later on a worker, taking each shard's lock in turn (never two at once),
    // so no partition stops for longer than its own serialisation.
    if (round_pending_.exchange(true)) return;
    const std::size_t round_key = trackers_.size();  // timer keys 0..shards-1 are the shards' deadline timers
    const bool scheduled = shards_.timers().schedule(0, this, round_key, [this] {
        for (std::size_t shard = 0; shard < trackers_.size(); ++shard) {
            shards_.run_on_shard(shard, [&](Admission&) { write_snapshot(shard); });
        }
        round_pending_ = false;
    });
    if (!scheduled) round_pending_ = false;
}

void SessionStage::snapshot_all() {
    if (snapshot_every_ == 0) return;  // no snapshots configured, or a store that keeps none
    for (std::size_t shard = 0; shard < trackers_.size(); ++shard) {
        shards_.run_on_shard(shard, [&](Admission&) { write_snapshot(shard); });
    }
}

void SessionStage::restore_snapshots(std::vector<std::int64_t>& covered) {
    bool layout_reported = false;
    bool any = false;
    std::vector<bool> restored(trackers_.size(), false);
    try {
        store_.read_snapshots([&](const PartitionSnapshot& snapshot) {  // newest first within each partition
            any = true;
            if (snapshot.partitions != trackers_.size()) {
                if (!layout_reported && logger_) {
                    logger_->warn("sessions: the snapshots were written with {} partitions and the runtime now has {} "
                                  "shards (runtime.shards): replaying the whole journal", snapshot.partitions,
                                  trackers_.size());
                }
                layout_reported = true;
                return false;
            }
            if (snapshot.partition >= trackers_.size() || restored[snapshot.partition]) return false;
            SessionTracker tracker(options_);
            try {
                tracker.restore_snapshot(snapshot.body);
            } catch (const SnapshotError& e) {
                if (logger_) {
                    logger_->warn("sessions: the snapshot of partition {} at journal seq {} cannot be restored ({}); "
                                  "trying an older one, else replaying the partition's journal",
                                  snapshot.partition, snapshot.seq, e.what());
                }
                return false;
            }
            trackers_[snapshot.partition] = std::move(tracker);
            covered[snapshot.partition] = snapshot.seq;
            restored[snapshot.partition] = true;
            restored_from_snapshot_.fetch_add(1, std::memory_order_relaxed);
            return true;  // its older snapshots are not even read
        });
    } catch (const StoreError& e) {
        if (logger_) logger_->warn("sessions: {}; replaying the whole journal instead", e.what());
        std::fill(covered.begin(), covered.end(), 0);
        for (auto& tracker : trackers_) tracker = SessionTracker(options_);
        restored_from_snapshot_.store(0, std::memory_order_relaxed);
        return;
    }
    const auto missing = static_cast<std::size_t>(std::count(restored.begin(), restored.end(), false));
    if (missing > 0 && any && !layout_reported && logger_) {
        logger_->warn("sessions: {} of {} partitions have no usable snapshot: their journal is replayed from the start",
                      missing, trackers_.size());
    }
}

std::uint64_t SessionStage::restore() {
    std::vector<std::int64_t> covered(trackers_.size(), 0);
    restore_snapshots(covered);
    // One pass over the journal after the oldest snapshot; each partition takes what lies beyond its own.
    JournalFilter tail;
    if (const std::int64_t oldest = *std::min_element(covered.begin(), covered.end()); oldest > 0) tail.after_seq = oldest;
    std::uint64_t replayed = 0;
    store_.read_journal(tail, [&](const Event& event) {
        const std::size_t shard = shards_.shard_of(event.routing_key());
        if (event.journal_seq <= covered[shard]) return;
        // Derived events are in the journal already, right after their cause (one unit, one commit): replay applies
        // them as they come and drops what the tracker derives again.
        try {
            check_event_text(event);  // a journal written before the ABI path checked UTF-8 may hold anything
            trackers_[shard].apply(event);
            ++since_snapshot_[shard];
            ++replayed;
        } catch (const std::exception& e) {
            // One poisoned entry must not stop every start: it is named and skipped, the rest is restored.
            if (logger_) {
                logger_->error("sessions: journal entry {} ({} {}) cannot be restored and is skipped: {}",
                               event.journal_seq, event.name, event.id, e.what());
            }
        }
    });
    replayed_at_start_ = replayed > 0;
    return replayed;
}

void SessionStage::arm_restored() {
    for (std::size_t shard = 0; shard < trackers_.size(); ++shard) {
        shards_.run_on_shard(shard, [&](Admission&) {
            if (const auto next = trackers_[shard].next_expiry_ms()) arm(shard, *next);
        });
    }
    // What had to be replayed is snapshotted at once, so the next start (after a crash too) does not replay it again.
    if (replayed_at_start_ && snapshot_every_ != 0) request_snapshot_round();
}

nlohmann::json SessionStage::conversation_state(const std::string& conversation_id) {
    nlohmann::json state;
    const std::size_t shard = shards_.shard_of(conversation_id);
    shards_.run_on_shard(shard, [&](Admission&) {
        if (const Conversation* c = trackers_[shard].find(conversation_id)) state = conversation_state_json(*c);
    });
    return state;
}

std::optional<nlohmann::json> SessionStage::live_conversation(const std::string& conversation_id) {
    const std::size_t shard = shards_.shard_of(conversation_id);
    // Under the shard's lock only the state and a pointer per entry are copied; the view is assembled outside it,
    // so neither the shard's publishers nor the journal's writer wait for a long conversation's copy.
    std::optional<nlohmann::json> state;
    ConversationTimeline::Parts parts;
    bool fill = false;
    std::uint64_t ticket = 0;
    shards_.run_on_shard(shard, [&](Admission&) {
        const Conversation* c = trackers_[shard].find(conversation_id);
        if (c == nullptr) return;
        LiveTimeline& live = timelines_[shard][conversation_id];
        if (live.ready) {
            state = conversation_state_json(*c);
            parts = live.timeline.parts();
            return;
        }
        fill = true;
        ticket = store_.last_ticket(shard);
    });
    if (!fill) {
        if (!state) return std::nullopt;
        return ConversationTimeline::assemble(std::move(*state), parts);
    }
    // The first view of this conversation: its history is read once from the store (indexed by conversation), outside
    // the shard's lock; what is admitted meanwhile waits in `arrived`.
    std::vector<Event> history;
    try {
        store_.wait_durable(shard, ticket);
        JournalFilter filter;
        filter.conversation_id = conversation_id;
        store_.read_journal(filter, [&](const Event& e) { history.push_back(e); });
    } catch (...) {
        shards_.run_on_shard(shard, [&](Admission&) {
            const auto it = timelines_[shard].find(conversation_id);
            if (it != timelines_[shard].end() && !it->second.ready) timelines_[shard].erase(it);
        });
        throw;
    }
    shards_.run_on_shard(shard, [&](Admission&) {
        const Conversation* c = trackers_[shard].find(conversation_id);
        const auto it = timelines_[shard].find(conversation_id);
        if (c == nullptr || it == timelines_[shard].end()) return;  // evicted meanwhile: the store answers
        LiveTimeline& live = it->second;
        if (!live.ready) {
            std::unordered_set<std::string> later;
            for (const Event& e : live.arrived) later.insert(e.id);
            for (const Event& e : history) {
                if (later.count(e.id) == 0) live.timeline.add(e);
            }
            for (const Event& e : live.arrived) live.timeline.add(e);
            live.arrived = {};
            live.ready = true;
        }
        state = conversation_state_json(*c);
        parts = live.timeline.parts();
    });
    if (!state) return std::nullopt;
    return ConversationTimeline::assemble(std::move(*state), parts);
}

SessionStageCounters SessionStage::counters() const {
    return {evicted_.load(), brought_back_.load(), snapshots_.load(), max_snapshot_us_.load(),
            restored_from_snapshot_.load()};
}

std::array<std::uint64_t, 6> SessionStage::conversations_by_state() {
    std::array<std::uint64_t, 6> counts{};
    for (std::size_t shard = 0; shard < trackers_.size(); ++shard) {
        // One shard's lock at a time, for one pass over its conversations: a scrape delays that shard's admissions by
        // the length of the pass, never the whole bus.
        shards_.run_on_shard(shard, [&](Admission&) {
            trackers_[shard].for_each([&](const Conversation& c) { ++counts[static_cast<std::size_t>(c.state)]; });
        });
    }
    return counts;
}

std::size_t SessionStage::conversation_count() const {
    std::size_t n = 0;
    for (const auto& tracker : trackers_) n += tracker.conversation_count();
    return n;
}

}  // namespace cim::core
