#include "runtime/session_stage.hpp"

#include <deque>

#include "bus/event_id.hpp"
#include "event/event_validation.hpp"
#include "sessions/conversation_json.hpp"

namespace cim::core {

SessionStage::SessionStage(Bus& bus, Store& store, const Catalogue& catalogue, TrackerOptions options,
                           std::shared_ptr<spdlog::logger> logger)
    : bus_(bus), store_(store), catalogue_(catalogue), options_(options), logger_(std::move(logger)),
      trackers_(bus.shard_count(), SessionTracker(options)), armed_(bus.shard_count(), 0) {}

SessionStage::~SessionStage() { bus_.timers().cancel_all(this); }

AdmissionResult SessionStage::admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) {
    const Applied applied = trackers_[shard].apply(event);
    if (applied.duplicate) {
        duplicates_.fetch_add(1, std::memory_order_relaxed);
        return {true, 0};
    }
    // Customer activity or a session event may move an inactivity deadline; arming early is harmless (the timer
    // re-arms for the real deadline), arming late would expire a session late.
    const bool touches_session = !event.channel_session_id.empty() || event.emitter.type == EmitterType::customer;
    const std::int64_t candidate = event.timestamp_ms + options_.customer_inactivity_timeout.count();
    const std::uint64_t ticket = admit_tracked(shard, std::move(event), publisher, admission, applied);
    if (touches_session) arm(shard, candidate);
    return {false, store_.acknowledge_after_durable() ? ticket : 0};
}

std::uint64_t SessionStage::admit_tracked(std::size_t shard, Event event, const Endpoint* publisher,
                                          Admission& admission, const Applied& applied) {
    if (!applied.warning.empty() && logger_) logger_->warn("sessions: {}", applied.warning);
    std::uint64_t ticket = store_.append(shard, event);
    admission.deliver(std::move(event), publisher);

    // What the tracker derived follows its cause: same shard, right after it, in the journal and in delivery.
    if (applied.derived.empty()) return ticket;  // the common case: no queue to build (a deque allocates even empty)
    std::deque<Event> derived(applied.derived.begin(), applied.derived.end());
    while (!derived.empty()) {
        Event next = std::move(derived.front());
        derived.pop_front();
        next.id = make_event_id();
        validate_event(next, catalogue_);  // resolves the kind; a failure here is a tracker bug and throws
        const Applied next_applied = trackers_[shard].apply(next);
        if (!next_applied.warning.empty() && logger_) logger_->warn("sessions: {}", next_applied.warning);
        derived.insert(derived.end(), next_applied.derived.begin(), next_applied.derived.end());
        ticket = store_.append(shard, next);
        admission.deliver(std::move(next), nullptr);
    }
    return ticket;
}

void SessionStage::arm(std::size_t shard, std::int64_t deadline_ms) {
    if (armed_[shard] != 0 && armed_[shard] <= deadline_ms) return;  // an earlier wake-up is already set
    armed_[shard] = deadline_ms;
    const std::int64_t delay = std::max<std::int64_t>(0, deadline_ms - bus_.now_ms());
    bus_.timers().cancel(this, shard);
    bus_.timers().schedule(static_cast<std::uint64_t>(delay), this, shard, [this, shard] { on_expiry_timer(shard); });
}

void SessionStage::on_expiry_timer(std::size_t shard) {
    bus_.admit_on_shard(shard, [&](Admission& admission) {
        armed_[shard] = 0;
        SessionTracker& tracker = trackers_[shard];
        for (Event expired : tracker.expire_due(bus_.now_ms())) {
            expired.id = make_event_id();
            validate_event(expired, catalogue_);
            const Applied applied = tracker.apply(expired);
            if (applied.duplicate) continue;
            if (logger_) logger_->info("sessions: channel session {} of conversation {} expired on inactivity",
                                       expired.channel_session_id, expired.conversation_id);
            admit_tracked(shard, std::move(expired), nullptr, admission, applied);
        }
        if (const auto next = tracker.next_expiry_ms()) arm(shard, *next);
    });
}

std::uint64_t SessionStage::restore() {
    std::uint64_t replayed = 0;
    store_.read_journal({}, [&](const Event& event) {
        // Derived events are in the journal already, right after their cause: replay applies them as they come and
        // drops what the tracker derives again.
        trackers_[bus_.shard_index(event.routing_key())].apply(event);
        ++replayed;
    });
    return replayed;
}

void SessionStage::arm_restored() {
    for (std::size_t shard = 0; shard < trackers_.size(); ++shard) {
        bus_.admit_on_shard(shard, [&](Admission&) {
            if (const auto next = trackers_[shard].next_expiry_ms()) arm(shard, *next);
        });
    }
}

nlohmann::json SessionStage::conversation_state(const std::string& conversation_id) {
    nlohmann::json state;
    const std::size_t shard = bus_.shard_index(conversation_id);
    bus_.admit_on_shard(shard, [&](Admission&) {
        if (const Conversation* c = trackers_[shard].find(conversation_id)) state = conversation_state_json(*c);
    });
    return state;
}

std::size_t SessionStage::conversation_count() const {
    std::size_t n = 0;
    for (const auto& tracker : trackers_) n += tracker.conversation_count();
    return n;
}

}  // namespace cim::core
