// The runtime's admission stage: every accepted event is tracked (one SessionTracker per shard), journaled, then
// queued for delivery, followed by what the tracker derived from it. Also owns the inactivity timers and restores
// the trackers from the journal on start, so a restart loses no session.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "bus/admission.hpp"
#include "bus/bus.hpp"
#include "sessions/session_tracker.hpp"
#include "store/store.hpp"

namespace cim::core {

class SessionStage final : public AdmissionStage {
public:
    /// `bus`, `store` and `catalogue` must outlive the stage. Install it with bus.set_admission_stage().
    SessionStage(Bus& bus, Store& store, const Catalogue& catalogue, TrackerOptions options,
                 std::shared_ptr<spdlog::logger> logger);
    ~SessionStage() override;

    /// The events the stage emits on the runtime's behalf (derived from tracking and from its timers).
    static std::vector<std::string> published_events() {
        return {"TOPIC_STATE_CHANGED", "CHANNEL_SESSION_EXPIRED", "CHANNEL_SESSION_ENDED"};
    }

    AdmissionResult admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) override;
    void wait_durable(std::size_t shard, std::uint64_t ticket) override { store_.wait_durable(shard, ticket); }

    /// Replays the journal into the trackers. Before the bus starts. Returns the number of events replayed.
    std::uint64_t restore();
    /// Arms every shard's inactivity timer from its restored sessions: a timeout that passed while the runtime was
    /// down fires at once. After the bus started.
    void arm_restored();

    /// The conversation's tracked state as conversation_state_json, or null. Takes the shard's lock.
    nlohmann::json conversation_state(const std::string& conversation_id);

    /// Duplicates seen so far.
    std::uint64_t duplicates() const noexcept { return duplicates_.load(std::memory_order_relaxed); }
    /// Conversations tracked, across shards. Only while no event is being admitted (tests, CLI).
    std::size_t conversation_count() const;

private:
    // Tracks and journals `event`, queues it, then does the same for everything it derived.
    std::uint64_t admit_tracked(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission,
                                const Applied& applied);
    // Applies what the tracker derived from unit.front() (and what that derives in turn), appending it to `unit`.
    void derive(std::size_t shard, std::vector<Event>& unit, const Applied& applied);
    void arm(std::size_t shard, std::int64_t deadline_ms);
    void on_expiry_timer(std::size_t shard);

    Bus& bus_;
    Store& store_;
    const Catalogue& catalogue_;
    TrackerOptions options_;
    std::shared_ptr<spdlog::logger> logger_;
    std::vector<SessionTracker> trackers_;   // by shard; guarded by the shard's lock
    std::vector<std::vector<Event>> units_;  // by shard: the unit being admitted, kept for its capacity; same guard
    std::vector<std::int64_t> armed_;        // by shard: the deadline its timer is set for, 0 = none; same guard
    std::atomic<std::uint64_t> duplicates_{0};
};

}  // namespace cim::core
