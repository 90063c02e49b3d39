#include "bus/bus.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <boost/asio/post.hpp>

#include "bus/event_id.hpp"
#include "bus/routing_hash.hpp"
#include "event/event_validation.hpp"
#include "event/wire_json.hpp"

namespace cim::core {
namespace {

// The slot of the worker running on this thread; null on any other thread (a publisher, a test).
thread_local DeliveryWatch::Slot* current_slot = nullptr;

}  // namespace

Bus::Bus(const Catalogue& catalogue, Clock& clock, BusOptions options, std::shared_ptr<spdlog::logger> logger)
    : catalogue_(catalogue),
      clock_(clock),
      options_(options),
      logger_(std::move(logger)),
      watch_(options_.threads, options_.slow_delivery, logger_),
      timers_(clock, [this](TimerService::Callback callback) {
          // Timer callbacks count as in flight, so drain() also waits for what a due timer publishes. Whatever a
          // callback throws stays here: a worker thread must never unwind, and the count must always come down.
          in_flight_.fetch_add(1);
          boost::asio::post(io_, [this, callback = std::move(callback)] {
              try {
                  callback();
              } catch (const std::exception& e) {
                  if (logger_) logger_->error("timer callback failed: {}", e.what());
              } catch (...) {
                  if (logger_) logger_->error("timer callback failed with an unknown exception");
              }
              finish(1);
          });
      }) {
    if (options_.threads == 0) throw std::invalid_argument("bus: threads must be at least 1");
    if (options_.shards == 0) throw std::invalid_argument("bus: shards must be at least 1");
    if (options_.shard_capacity == 0) throw std::invalid_argument("bus: shard_capacity must be at least 1");
    shards_.reserve(options_.shards);
    for (std::size_t i = 0; i < options_.shards; ++i) {
        shards_.push_back(std::make_unique<Shard>(
            io_, options_.shard_capacity, [this](Envelope& envelope) { process(envelope); },
            [this](std::size_t n) { in_flight_.fetch_add(n); }, [this](std::size_t n) { finish(n); }));
    }
}

Bus::~Bus() { stop(); }

bool Bus::on_worker_thread() noexcept { return current_slot != nullptr; }

void Bus::add_endpoint(Endpoint& endpoint) {
    if (state_ != State::created) throw std::logic_error("bus: endpoints can only be added before start()");
    endpoints_.push_back(&endpoint);
}

void Bus::set_admission_stage(AdmissionStage& stage) {
    if (state_ != State::created) throw std::logic_error("bus: the admission stage can only be set before start()");
    stage_ = &stage;
}

void Bus::finish(std::uint64_t n) noexcept {
    if (in_flight_.fetch_sub(n) == n) in_flight_.notify_all();
}

// Waking a sleeping worker costs more than delivering an event (a futex round trip, several microseconds, far more on
// a VM), and a steady stream of events would pay it for nearly every event: each lands on an idle shard whose worker
// had just gone to sleep. So a worker that runs out of work keeps polling for a short while before it blocks; while
// workers poll, posting work signals nobody. Between polls it yields: on a machine with as many workers as cores the
// publishing threads need the CPU more (measured: pure pause-spinning was slower on the 2-core bench machine, see
// docs/performance.md). Under no load the workers sleep as before.
void Bus::run_worker(std::size_t index) {
    using std::chrono::steady_clock;  // the wall clock, not the bus's (possibly manual) Clock
    constexpr auto linger = std::chrono::microseconds(200);
    current_slot = watch_.slot(index);
    const Shard::WorkerThread worker(io_);
    for (;;) {
        // Handlers catch what they run; this catch is the last line, so that a worker never dies of a stray exception.
        try {
            Shard::run_deferred();  // what a handler that threw had woken
            if (io_.run_one() == 0) return;  // stopped
            Shard::run_deferred();
            auto idle_since = steady_clock::now();
            while (steady_clock::now() - idle_since < linger) {
                if (io_.poll_one() > 0) {
                    Shard::run_deferred();
                    idle_since = steady_clock::now();
                    continue;
                }
                if (io_.stopped()) return;
                std::this_thread::yield();
            }
        } catch (const std::exception& e) {
            if (logger_) logger_->error("worker {}: {}", index, e.what());
        } catch (...) {
            if (logger_) logger_->error("worker {}: unknown exception", index);
        }
    }
}

const std::vector<std::string>& Bus::start() {
    if (state_ != State::created) throw std::logic_error("bus: start() called twice");
    counted_kinds_ = catalogue_.size();
    accepted_by_kind_ = std::make_unique<StripedCounter[]>(counted_kinds_);
    duplicates_by_kind_ = std::make_unique<StripedCounter[]>(counted_kinds_);
    wirings_.push_back(std::make_unique<const Wiring>(build_wiring(catalogue_, endpoints_, runtime_publishes_)));
    wiring_.store(wirings_.back().get(), std::memory_order_release);
    {
        std::lock_guard lock(live_mutex_);
        for (const Endpoint* endpoint : endpoints_) live_[endpoint] = next_serial_++;
    }
    work_ = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        io_.get_executor());
    for (std::size_t i = 0; i < options_.threads; ++i) workers_.emplace_back([this, i] { run_worker(i); });
    watch_.start();
    state_ = State::running;
    return wirings_.back()->warnings;
}

PublishResult Bus::refuse(const Endpoint* publisher, PublishStatus status, std::string error) {
    if (publisher != nullptr) publisher->counters().publish_rejected.add();
    (status == PublishStatus::busy ? busy_ : status == PublishStatus::failed ? failed_ : invalid_).add();
    return PublishResult{status, std::move(error), {}};
}

PublishResult Bus::acknowledge(const Endpoint* publisher, PublishResult result, EventKindId kind) {
    accepted_.add();
    if (kind < counted_kinds_) accepted_by_kind_[kind].add();
    if (publisher != nullptr) publisher->counters().published.add();
    return result;
}

std::optional<PublishResult> Bus::refuse_at_door(const Endpoint* publisher, bool blocking) {
    const State state = state_.load();
    if (state != State::running && state != State::stopping) {
        return refuse(publisher, PublishStatus::stopped,
                      state == State::created ? "the runtime is not started" : "the runtime is stopped");
    }
    // Refused before admission, so the refusal leaves no trace: admitted, the event would be journaled and delivered
    // although its publisher was told it failed.
    if (blocking && stage_ != nullptr) {
        if (std::string why = stage_->blocking_publish_refusal(); !why.empty()) {
            return refuse(publisher, PublishStatus::failed, std::move(why));
        }
    }
    return std::nullopt;
}

std::optional<PublishResult> Bus::check_and_stamp(const Endpoint* publisher, Event& event, const Wiring& wiring,
                                                 std::int64_t& now_ms) {
    try {
        validate_event(event, catalogue_);
    } catch (const EventError& e) {
        return refuse(publisher, PublishStatus::invalid, e.what());
    }
    if (publisher != nullptr) {
        const auto it = wiring.may_publish.find(publisher);
        if (it == wiring.may_publish.end() || !it->second[event.kind]) {
            return refuse(publisher, PublishStatus::not_declared,
                          "plugin '" + publisher->name() + "' published " + event.name +
                              ", which its manifest does not declare under publishes");
        }
    }
    if (event.id.empty()) event.id = make_event_id();
    if (event.timestamp_ms == 0) {
        if (now_ms == 0) now_ms = clock_.now_ms();
        event.timestamp_ms = now_ms;
    }
    return std::nullopt;
}

Bus::Admitted Bus::admit(const Endpoint* publisher, Event event, bool blocking) {
    // Every queued event adds its own in-flight count (Shard's on_queued) before this call's is released.
    const InFlight counted(*this);
    Admitted out;
    auto refused = [&](PublishStatus status, std::string error) {
        out.refused = refuse(publisher, status, std::move(error));
        return std::move(out);
    };
    if ((out.refused = refuse_at_door(publisher, blocking))) return out;
    std::int64_t now_ms = 0;
    if ((out.refused = check_and_stamp(publisher, event, *wiring_.load(std::memory_order_acquire), now_ms))) return out;

    out.result = PublishResult{PublishStatus::accepted, {}, event.id};
    out.kind = event.kind;
    out.shard = shard_index(event.routing_key());
    AdmissionResult admitted;
    const bool queued = shards_[out.shard]->try_admit([&](Admission& admission) {
        if (stage_ != nullptr) {
            admitted = stage_->admit(out.shard, std::move(event), publisher, admission);
        } else {
            admission.deliver(std::make_shared<const Event>(std::move(event)), publisher);
        }
    });
    if (!queued) {  // a full shard ran nothing, so `event` was not moved from
        return refused(PublishStatus::busy, "busy: the shard of '" + std::string(event.routing_key()) + "' holds " +
                                                std::to_string(shards_[out.shard]->capacity()) +
                                                " undelivered events; retry later");
    }
    if (admitted.verdict == AdmissionVerdict::busy) return refused(PublishStatus::busy, std::move(admitted.error));
    if (admitted.verdict == AdmissionVerdict::failed) return refused(PublishStatus::failed, std::move(admitted.error));
    if (admitted.verdict == AdmissionVerdict::duplicate) count_duplicate(out.kind);
    out.ticket = admitted.ticket;
    return out;
}

PublishResult Bus::publish(const Endpoint* publisher, Event event) {
    Admitted admitted = admit(publisher, std::move(event), true);
    if (admitted.refused) return std::move(*admitted.refused);
    if (admitted.ticket != 0) {
        try {
            stage_->wait_durable(admitted.shard, admitted.ticket);  // sync = "full": acknowledged means on disk
        } catch (const std::exception& e) {
            return refuse(publisher, PublishStatus::failed, e.what());
        }
    }
    return acknowledge(publisher, std::move(admitted.result), admitted.kind);
}

std::vector<PublishResult> Bus::publish_many(const Endpoint* publisher, std::vector<Event> events) {
    const InFlight counted(*this);
    const std::size_t n = events.size();
    std::vector<PublishResult> results(n);
    std::vector<EventKindId> kinds(n, no_event_kind);
    if (auto closed = refuse_at_door(publisher, true)) {  // counted once there; once per further event here
        for (std::size_t i = 1; i < n; ++i) results[i] = refuse(publisher, closed->status, closed->error);
        if (n > 0) results[0] = std::move(*closed);
        return results;
    }

    // Validated, stamped and routed one by one; what passes is admitted per shard below, in batch order.
    constexpr std::size_t refused = static_cast<std::size_t>(-1);
    std::vector<std::pair<std::size_t, std::size_t>> routed;  // (shard, index), sorted by shard then index
    routed.reserve(n);
    const Wiring& wiring = *wiring_.load(std::memory_order_acquire);
    std::int64_t now_ms = 0;  // read once for the batch: one clock call, not one per event (a VM's clock is not free)
    for (std::size_t i = 0; i < n; ++i) {
        if (auto rejected = check_and_stamp(publisher, events[i], wiring, now_ms)) {
            results[i] = std::move(*rejected);
            continue;
        }
        results[i] = PublishResult{PublishStatus::accepted, {}, events[i].id};
        kinds[i] = events[i].kind;
        routed.emplace_back(shard_index(events[i].routing_key()), i);
    }
    std::stable_sort(routed.begin(), routed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    // First every shard's admission, then the waits: the whole batch is appended before anyone waits, so with
    // sync = "full" it goes to disk in the writer's next commit instead of one commit per shard.
    struct ShardWait {
        std::size_t shard = 0;
        std::uint64_t ticket = 0;
        std::size_t first = 0, last = 0;  // its admitted events: admitted[first, last)
    };
    std::vector<std::size_t> admitted;
    std::vector<ShardWait> waits;
    for (std::size_t begin = 0; begin < routed.size();) {
        const std::size_t shard = routed[begin].first;
        std::size_t end = begin;
        while (end < routed.size() && routed[end].first == shard) ++end;
        ShardWait wait{shard, 0, admitted.size(), admitted.size()};
        std::size_t refused_at = refused;
        const std::size_t called = shards_[shard]->try_admit_many(end - begin, [&](std::size_t k, Admission& admission) {
            const std::size_t i = routed[begin + k].second;
            AdmissionResult a;
            if (stage_ != nullptr) {
                a = stage_->admit(shard, std::move(events[i]), publisher, admission);
            } else {
                admission.deliver(std::make_shared<const Event>(std::move(events[i])), publisher);
            }
            if (a.verdict == AdmissionVerdict::busy || a.verdict == AdmissionVerdict::failed) {
                results[i] = refuse(publisher, a.verdict == AdmissionVerdict::busy ? PublishStatus::busy
                                                                                   : PublishStatus::failed,
                                    std::move(a.error));
                refused_at = k;
                return false;
            }
            if (a.verdict == AdmissionVerdict::duplicate) count_duplicate(kinds[i]);
            wait.ticket = std::max(wait.ticket, a.ticket);
            admitted.push_back(i);
            return true;
        });
        for (std::size_t k = called; k < end - begin; ++k) {
            const std::size_t i = routed[begin + k].second;
            results[i] = refuse(publisher, PublishStatus::busy,
                                refused_at != refused
                                    ? "busy: an earlier event of this batch on the same shard was refused; retry later"
                                    : "busy: the shard of '" + std::string(events[i].routing_key()) + "' holds " +
                                          std::to_string(shards_[shard]->capacity()) +
                                          " undelivered events; retry later");
        }
        wait.last = admitted.size();
        waits.push_back(wait);
        begin = end;
    }
    for (const ShardWait& wait : waits) {
        std::string not_durable;
        if (wait.ticket != 0) {
            try {
                stage_->wait_durable(wait.shard, wait.ticket);  // sync = "full": once per shard, for the whole batch
            } catch (const std::exception& e) {
                not_durable = e.what();
            }
        }
        for (std::size_t k = wait.first; k < wait.last; ++k) {
            const std::size_t i = admitted[k];
            results[i] = not_durable.empty() ? acknowledge(publisher, std::move(results[i]), kinds[i])
                                             : refuse(publisher, PublishStatus::failed, not_durable);
        }
    }
    return results;
}

void Bus::publish_async(const Endpoint* publisher, Event event, PublishCompletion done) {
    Admitted admitted = admit(publisher, std::move(event), false);  // never waits: allowed from a completion
    if (admitted.refused) return done(std::move(*admitted.refused));
    if (admitted.ticket == 0) return done(acknowledge(publisher, std::move(admitted.result), admitted.kind));
    // The publisher is an endpoint of this bus, which outlives the store's writer (Runtime::Impl's member order)
    // and every plugin waits for its completions before it is destroyed (PluginInstance).
    stage_->when_durable(admitted.shard, admitted.ticket,
                         [this, publisher, kind = admitted.kind, result = std::move(admitted.result),
                          done = std::move(done)](
                             const std::string& error) mutable {
                             if (!error.empty()) return done(refuse(publisher, PublishStatus::failed, error));
                             done(acknowledge(publisher, std::move(result), kind));
                         });
}

std::optional<PublishResult> Bus::check_abi(const Endpoint* publisher, const Event& event) {
    try {
        check_event_text(event);
    } catch (const EventError& e) {
        if (publisher != nullptr) publisher->counters().publish_rejected.add();
        invalid_.add();
        return PublishResult{PublishStatus::invalid, e.what(), {}};
    }
    return std::nullopt;
}

PublishResult Bus::publish_abi(const Endpoint* publisher, Event event) {
    if (auto refused = check_abi(publisher, event)) return std::move(*refused);
    return publish(publisher, std::move(event));
}

std::vector<PublishResult> Bus::publish_abi_many(const Endpoint* publisher, std::vector<Event> events) {
    std::vector<PublishResult> results(events.size());
    std::vector<Event> batch;
    batch.reserve(events.size());
    std::vector<std::size_t> position;  // batch index -> events index
    position.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (auto refused = check_abi(publisher, events[i])) {
            results[i] = std::move(*refused);
            continue;
        }
        batch.push_back(std::move(events[i]));
        position.push_back(i);
    }
    auto answered = publish_many(publisher, std::move(batch));
    for (std::size_t k = 0; k < answered.size(); ++k) results[position[k]] = std::move(answered[k]);
    return results;
}

void Bus::publish_abi_async(const Endpoint* publisher, Event event, PublishCompletion done) {
    if (auto refused = check_abi(publisher, event)) return done(std::move(*refused));
    publish_async(publisher, std::move(event), std::move(done));
}

std::size_t Bus::shard_index(std::string_view routing_key) const noexcept {
    return routing_hash(routing_key) % shards_.size();
}

void Bus::process(Envelope& envelope) {
    const Event& event = *envelope.event;
    // Loaded once: replace_endpoints() swaps it only while no worker is in here.
    const Wiring& wiring = *wiring_.load(std::memory_order_acquire);
    bool first = true;
    for (Endpoint* consumer : wiring.consumers[event.kind]) {
        if (consumer == envelope.publisher) continue;  // a plugin never hears its own event back
        if (first) {
            first = false;
            const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
            latency_.observe(std::chrono::nanoseconds(now - envelope.queued_ns));
        }
        const DeliveryWatch::Scope watched(watch_, current_slot, *consumer, &event, 0);
        const DeliveryOutcome outcome = consumer->deliver(event);  // counts on the endpoint, never throws
        if (outcome.ok) {
            deliveries_.add();
        } else {
            count_failure(*consumer, event.name + " " + event.id, outcome.error);
        }
    }
}

void Bus::count_failure(Endpoint& endpoint, const std::string& what, const std::string& error) {
    delivery_failures_.add();
    if (logger_) logger_->error("plugin '{}' failed on {}: {}", endpoint.name(), what, error);
}

bool Bus::schedule_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token) {
    return schedule_timer_filed(owner, delay_ms, token, &owner, token);
}

bool Bus::schedule_timer_filed(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token, const void* file_owner,
                               std::uint64_t file_token) {
    const State state = state_.load();
    if (state != State::running && state != State::stopping) return false;
    std::uint64_t serial = 0;
    {
        std::lock_guard lock(live_mutex_);
        const auto it = live_.find(&owner);
        if (it == live_.end()) return false;  // dropped by a reload, about to be destroyed
        serial = it->second;
    }
    return timers_.schedule(delay_ms, file_owner, file_token, [this, &owner, token, serial] {
        if (!timer_owner_live(&owner, serial)) return;
        const DeliveryWatch::Scope watched(watch_, current_slot, owner, nullptr, token);
        const DeliveryOutcome outcome = owner.fire_timer(token);  // counts on the endpoint, never throws
        if (!outcome.ok) count_failure(owner, "timer " + std::to_string(token), outcome.error);
    });
}

void Bus::cancel_timer(const Endpoint& owner, std::uint64_t token) { timers_.cancel(&owner, token); }

void Bus::log(const Endpoint& source, cim_log_level_t level, std::string_view message) {
    if (!logger_) return;
    spdlog::level::level_enum spd = spdlog::level::info;
    switch (level) {
        case CIM_LOG_TRACE: spd = spdlog::level::trace; break;
        case CIM_LOG_DEBUG: spd = spdlog::level::debug; break;
        case CIM_LOG_INFO: spd = spdlog::level::info; break;
        case CIM_LOG_WARN: spd = spdlog::level::warn; break;
        default: spd = spdlog::level::err; break;
    }
    logger_->log(spd, "[{}] {}", source.name(), message);
}

void Bus::drain() {
    for (std::uint64_t n = in_flight_.load(); n != 0; n = in_flight_.load()) in_flight_.wait(n);
}

void Bus::stop() { stop(std::chrono::milliseconds::max()); }

StopReport Bus::stop(std::chrono::milliseconds limit) {
    using std::chrono::steady_clock;
    const auto deadline = limit == std::chrono::milliseconds::max() ? steady_clock::time_point::max()
                                                                    : steady_clock::now() + limit;
    // Waits for the in-flight count to reach zero, or the deadline. Polls in slices so the deadline is kept.
    auto drain_until = [&] {
        for (std::uint64_t n = in_flight_.load(); n != 0; n = in_flight_.load()) {
            if (steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    };
    State expected = State::running;
    if (!state_.compare_exchange_strong(expected, State::stopping)) {
        if (expected == State::created) {
            state_ = State::stopped;
            return {};
        }
        if (expected == State::stopped) return {};
        // A stop that gave up before: try again within this one's limit.
    } else {
        timers_.stop();  // pending timers are dropped; durable ones (sessions) are restored from the store
    }
    // Publishes are still accepted while draining: replies to drained events are not lost.
    if (!drain_until()) {
        StopReport report{false, watch_.running()};
        if (report.holding.empty()) {
            report.holding.push_back(std::to_string(in_flight_.load()) +
                                     " accepted event(s) still wait for delivery (for the store, with sync = \"full\")");
        }
        return report;
    }
    state_ = State::stopped;
    if (!drain_until()) return {false, watch_.running()};  // anything admitted while the state flipped
    watch_.stop();
    work_.reset();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    return {};
}

void Bus::count_duplicate(EventKindId kind) noexcept {
    duplicates_.add();
    if (kind < counted_kinds_) duplicates_by_kind_[kind].add();
}

std::vector<std::uint64_t> Bus::accepted_by_kind() const {
    std::vector<std::uint64_t> out;
    for (std::size_t k = 0; k < counted_kinds_; ++k) out.push_back(accepted_by_kind_[k].load());
    return out;
}

std::vector<std::uint64_t> Bus::duplicates_by_kind() const {
    std::vector<std::uint64_t> out;
    for (std::size_t k = 0; k < counted_kinds_; ++k) out.push_back(duplicates_by_kind_[k].load());
    return out;
}

QueueSummary Bus::queues() const {
    QueueSummary out;
    out.shards = shards_.size();
    for (const auto& shard : shards_) {
        const std::size_t depth = shard->depth();
        out.queued += depth;
        out.deepest = std::max(out.deepest, depth);
        out.capacity = shard->capacity();
    }
    return out;
}

BusMetrics Bus::metrics() const {
    return {accepted_.load(),          busy_.load(),   invalid_.load(),
            deliveries_.load(),        delivery_failures_.load(),
            in_flight_.load(std::memory_order_relaxed),
            duplicates_.load(),        failed_.load(), watch_.slow_deliveries()};
}

}  // namespace cim::core
