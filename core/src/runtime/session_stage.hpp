// The runtime's admission stage: every accepted event is tracked (one SessionTracker per shard), journaled, then
// queued for delivery, followed by what the tracker derived from it. Also owns the shards' deadline timers
// (inactivity, eviction), snapshots the trackers, restores them on start from the newest snapshot and the journal
// after it, and answers conversation views of the conversations in memory (docs/sessions.md).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "bus/admission.hpp"
#include "bus/timer_service.hpp"
#include "event/catalogue.hpp"
#include "sessions/conversation_queries.hpp"
#include "sessions/conversation_view.hpp"
#include "sessions/session_tracker.hpp"
#include "store/store.hpp"

namespace cim::core {

/// What the stage has done beyond admitting, for tests, the bench and logs.
struct SessionStageCounters {
    std::uint64_t evicted = 0;            ///< conversations that left memory after their grace period
    std::uint64_t brought_back = 0;       ///< evicted conversations restored from the store for a late event
    std::uint64_t snapshots = 0;          ///< partition snapshots handed to the store
    std::uint64_t max_snapshot_us = 0;    ///< the longest a partition was held to serialise its snapshot
    std::uint64_t restored_from_snapshot = 0;  ///< partitions restored from a snapshot at start
};

class SessionStage final : public AdmissionStage, public LiveConversations {
public:
    /// `shards` (the bus), `store` and `catalogue` must outlive the stage. Install it with Bus::set_admission_stage().
    SessionStage(ShardAccess& shards, Store& store, const Catalogue& catalogue, TrackerOptions options,
                 std::shared_ptr<spdlog::logger> logger);
    ~SessionStage() override;

    /// The events the stage emits on the runtime's behalf (derived from tracking and from its timers).
    static std::vector<std::string> published_events() {
        return {"TOPIC_STATE_CHANGED", "CHANNEL_SESSION_EXPIRED", "CHANNEL_SESSION_ENDED"};
    }

    AdmissionResult admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) override;
    void wait_durable(std::size_t shard, std::uint64_t ticket) override { store_.wait_durable(shard, ticket); }
    void when_durable(std::size_t shard, std::uint64_t ticket, std::function<void(const std::string&)> done) override {
        store_.when_durable(shard, ticket, std::move(done));
    }
    std::string blocking_publish_refusal() const override {
        if (!waits_for_durable_ || !store_.on_writer_thread()) return {};
        return "a blocking publish from a publish_async completion would wait for itself (store.sync = \"full\"); "
               "not accepted: use publish_async there";
    }

    /// Every partition snapshots its tracker once `events` (all partitions together) were journaled since the
    /// last round, if the store keeps snapshots; 0: never. Before start.
    void set_snapshot_interval(std::size_t events);
    /// Called with the id of every conversation that leaves memory (after its grace period), so what is kept for it
    /// elsewhere — conversation-scoped plugin state — can be dropped too. Runs on a worker under the conversation's
    /// shard lock: it must not publish or query the runtime. Before start.
    void set_eviction_listener(std::function<void(const std::string& conversation_id)> listener);

    /// Restores the trackers: each partition from its newest usable snapshot, then the journal after it (all of it
    /// for a partition without one). Before the bus delivers. Returns the number of journal events replayed.
    std::uint64_t restore();
    /// Arms every shard's deadline timer from its restored state (a timeout that passed while the runtime was down
    /// fires at once), and snapshots at once when the journal had to be replayed. After the bus started.
    void arm_restored();
    /// Snapshots every partition now (at stop, so the next start replays nothing). Takes each shard's lock in turn.
    void snapshot_all();

    /// The conversation's tracked state as conversation_state_json, or null. Takes the shard's lock.
    nlohmann::json conversation_state(const std::string& conversation_id);
    /// The view of a conversation in memory, from memory: its timeline is read from the store once, the first time
    /// it is asked for, and kept up to date as events are admitted; nullopt when the conversation is not in memory.
    /// O(conversation) under the shard's lock.
    std::optional<nlohmann::json> live_conversation(const std::string& conversation_id) override;
    SessionStageCounters counters() const;

    /// Duplicates seen so far.
    std::uint64_t duplicates() const noexcept { return duplicates_.load(std::memory_order_relaxed); }
    /// Conversations tracked, across shards. Only while no event is being admitted (tests, CLI).
    /// Conversations in memory by ConversationState (indexed by its value): one pass over each shard under its lock.
    /// For /metrics; not for the hot path. Not from inside an admission.
    std::array<std::uint64_t, 6> conversations_by_state();
    std::size_t conversation_count() const;

private:
    // Tracks and journals `event`, queues it, then does the same for everything it derived.
    std::uint64_t admit_tracked(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission,
                                const Applied& applied);
    // Applies what the tracker derived from unit.front() (and what that derives in turn), appending it to `unit`.
    void derive(std::size_t shard, std::vector<EventPtr>& unit, const Applied& applied);
    void arm(std::size_t shard, std::int64_t deadline_ms);
    void on_expiry_timer(std::size_t shard);
    // Brings an evicted conversation back from the store before an event for it is admitted; the failure, if any.
    std::optional<std::string> bring_back(std::size_t shard, const std::string& conversation_id);
    void write_snapshot(std::size_t shard);  // under the shard's lock
    void request_snapshot_round();
    // Restores what snapshots cover; `covered[shard]` becomes the journal position its tracker reflects.
    void restore_snapshots(std::vector<std::int64_t>& covered);

    // A conversation's timeline kept for its views. While the first read from the store is under way, admitted
    // events wait in `arrived` (the read may or may not have seen them: they are matched by id).
    struct LiveTimeline {
        bool ready = false;
        ConversationTimeline timeline;
        std::vector<Event> arrived;
    };

    ShardAccess& shards_;  // the bus, seen as its shards, clock and timers
    Store& store_;
    const bool waits_for_durable_;  ///< store_.acknowledge_after_durable(), fixed for its life: read on every publish
    const Catalogue& catalogue_;
    TrackerOptions options_;
    std::shared_ptr<spdlog::logger> logger_;
    std::vector<SessionTracker> trackers_;   // by shard; guarded by the shard's lock
    std::vector<std::vector<EventPtr>> units_;  // by shard: the unit being admitted, kept for its capacity; same guard
    std::vector<std::int64_t> armed_;        // by shard: the deadline its timer is set for, 0 = none; same guard
    std::vector<std::size_t> since_snapshot_;  // by shard: events journaled since its last snapshot; same guard
    std::vector<std::unordered_map<std::string, LiveTimeline>> timelines_;  // by shard; same guard
    std::function<void(const std::string&)> on_evicted_;
    std::size_t snapshot_every_ = 0;           // per shard; 0 = no snapshots
    bool replayed_at_start_ = false;
    std::atomic<bool> round_pending_{false};
    std::atomic<std::uint64_t> duplicates_{0};
    std::atomic<std::uint64_t> evicted_{0};
    std::atomic<std::uint64_t> brought_back_{0};
    std::atomic<std::uint64_t> snapshots_{0};
    std::atomic<std::uint64_t> max_snapshot_us_{0};
    std::atomic<std::uint64_t> restored_from_snapshot_{0};
};

}  // namespace cim::core
