#include "runtime/session_stage.hpp"

#include <deque>

#include "bus/event_id.hpp"
#include "event/wire_json.hpp"
#include "event/event_validation.hpp"
#include "sessions/conversation_json.hpp"

namespace cim::core {

SessionStage::SessionStage(Bus& bus, Store& store, const Catalogue& catalogue, TrackerOptions options,
                           std::shared_ptr<spdlog::logger> logger)
    : bus_(bus), store_(store), catalogue_(catalogue), options_(options), logger_(std::move(logger)),
      trackers_(bus.shard_count(), SessionTracker(options)), units_(bus.shard_count()),
      armed_(bus.shard_count(), 0) {}

SessionStage::~SessionStage() { bus_.timers().cancel_all(this); }

AdmissionResult SessionStage::admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) {
    SessionTracker& tracker = trackers_[shard];
    const bool durable_first = store_.acknowledge_after_durable();
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
    // Customer activity or a session event may move an inactivity deadline; arming early is harmless (the timer
    // re-arms for the real deadline), arming late would expire a session late. A replay arms nothing: its times are
    // history, and expiring them now would add events the journal being replayed does not have.
    const bool replay = event.journal_seq != 0;
    const bool touches_session = !event.channel_session_id.empty() || event.emitter.type == EmitterType::customer;
    const std::int64_t candidate = event.timestamp_ms + options_.customer_inactivity_timeout.count();
    const std::uint64_t ticket = admit_tracked(shard, std::move(event), publisher, admission, applied);
    if (touches_session && !replay) arm(shard, candidate);
    return {AdmissionVerdict::admitted, durable_first ? ticket : 0, {}};
}

std::uint64_t SessionStage::admit_tracked(std::size_t shard, Event event, const Endpoint* publisher,
                                          Admission& admission, const Applied& applied) {
    if (!applied.warning.empty() && logger_) logger_->warn("sessions: {}", applied.warning);
    // The cause and everything derived from it are one unit: appended and committed together, so no crash can keep
    // a cause without its effects (which a restore would then never re-create).
    // The shard's own buffer, reused: no allocation per event on the hot path (the shard's lock guards it).
    std::vector<Event>& unit = units_[shard];
    unit.clear();
    unit.push_back(std::move(event));
    if (!applied.derived.empty()) derive(shard, unit, applied);
    const std::uint64_t ticket = store_.append(shard, unit);

    // A replay restores the record; it does not re-run the contact center (no bot answers twice, no webhook is sent
    // twice), so no plugin hears it.
    if (unit.front().journal_seq != 0) return ticket;
    const std::uint64_t wait_for = store_.acknowledge_after_durable() ? ticket : 0;
    admission.deliver(std::move(unit.front()), publisher, wait_for);
    for (std::size_t i = 1; i < unit.size(); ++i) admission.deliver(std::move(unit[i]), nullptr, wait_for);
    return ticket;
}

void SessionStage::derive(std::size_t shard, std::vector<Event>& unit, const Applied& applied) {
    // What the tracker derived follows its cause: same shard, right after it, in the journal and in delivery. Ids are
    // the cause's plus a counter, never random: replaying the cause derives the very same events, so a replayed
    // journal's copies of them are recognised as duplicates instead of being applied twice.
    std::deque<Event> pending(applied.derived.begin(), applied.derived.end());
    std::size_t counter = 0;
    while (!pending.empty()) {
        Event next = std::move(pending.front());
        pending.pop_front();
        next.id = unit.front().id + "+" + std::to_string(++counter);
        validate_event(next, catalogue_);  // resolves the kind; a failure here is a tracker bug and throws
        const Applied next_applied = trackers_[shard].apply(next);
        if (!next_applied.warning.empty() && logger_) logger_->warn("sessions: {}", next_applied.warning);
        pending.insert(pending.end(), next_applied.derived.begin(), next_applied.derived.end());
        unit.push_back(std::move(next));
    }
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
        try {
            for (Event expired : tracker.expire_due(bus_.now_ms())) {
                // While the store cannot write, the expiry waits: the timer comes back, nothing is lost or faked.
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
            const std::int64_t earliest = bus_.now_ms() + (store_.accepting() ? 0 : 1000);
            arm(shard, std::max(*next, earliest));
        }
    });
}

std::uint64_t SessionStage::restore() {
    std::uint64_t replayed = 0;
    store_.read_journal({}, [&](const Event& event) {
        // Derived events are in the journal already, right after their cause (one unit, one commit): replay applies
        // them as they come and drops what the tracker derives again.
        try {
            check_event_text(event);  // a journal written before the ABI path checked UTF-8 may hold anything
            trackers_[bus_.shard_index(event.routing_key())].apply(event);
            ++replayed;
        } catch (const std::exception& e) {
            // One poisoned entry must not stop every start: it is named and skipped, the rest is restored.
            if (logger_) {
                logger_->error("sessions: journal entry {} ({} {}) cannot be restored and is skipped: {}",
                               event.journal_seq, event.name, event.id, e.what());
            }
        }
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
