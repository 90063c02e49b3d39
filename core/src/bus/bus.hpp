// The event bus (DESIGN §2): validates and stamps what is published, hashes it onto a shard by conversation, and
// delivers it to every consumer the wiring names — in publish order per conversation, in parallel across them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "bus/admission.hpp"
#include "bus/clock.hpp"
#include "bus/delivery_watch.hpp"
#include "bus/endpoint.hpp"
#include "bus/shard.hpp"
#include "bus/latency_histogram.hpp"
#include "bus/striped_counter.hpp"
#include "bus/timer_service.hpp"
#include "bus/wiring.hpp"
#include "event/catalogue.hpp"
#include "bus/publish_result.hpp"

namespace cim::core {

struct BusOptions {
    std::size_t threads = 2;            ///< worker threads delivering events
    std::size_t shards = 64;            ///< conversation shards; more shards, less head-of-line blocking
    std::size_t shard_capacity = 4096;  ///< events queued or in delivery per shard before publish reports busy
    std::chrono::milliseconds slow_delivery = std::chrono::seconds(5);  ///< a longer delivery is logged and counted
};

/// The shards' queues, aggregated (Bus::queues).
struct QueueSummary {
    std::size_t shards = 0;
    std::size_t capacity = 0;   ///< per shard
    std::size_t queued = 0;     ///< over all shards: queued or being delivered
    std::size_t deepest = 0;    ///< the deepest shard's depth
};

/// How stop() ended.
struct StopReport {
    bool finished = true;               ///< everything accepted was delivered and the workers are joined
    std::vector<std::string> holding;   ///< when not: what holds it (deliveries still running, by plugin)
};

/// replace_endpoints() could not park the workers in time: a delivery still runs (the message names it).
struct BusBusyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Bus-wide counters (per-endpoint ones live on each Endpoint). Relaxed atomics: a snapshot, not a transaction.
struct BusMetrics {
    std::uint64_t accepted = 0;          ///< events accepted by publish
    std::uint64_t busy = 0;              ///< publishes refused because a shard was full
    std::uint64_t invalid = 0;           ///< publishes refused as invalid or undeclared
    std::uint64_t deliveries = 0;        ///< successful on_event calls
    std::uint64_t delivery_failures = 0; ///< on_event / on_timer calls that failed or threw
    std::uint64_t in_flight = 0;         ///< accepted events not yet delivered to every consumer
    std::uint64_t duplicates = 0;        ///< publishes of an event id already applied (accepted, ignored)
    std::uint64_t failed = 0;            ///< publishes refused because the store cannot write, or not durable
    std::uint64_t slow_deliveries = 0;   ///< deliveries that ran past the slow_delivery limit
};

/// Every worker of a bus parked outside any delivery, while it lives (Bus::pause_workers). Destroying it resumes them.
class WorkerPause {
public:
    struct Gate;
    explicit WorkerPause(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
    ~WorkerPause();
    WorkerPause(const WorkerPause&) = delete;
    WorkerPause& operator=(const WorkerPause&) = delete;

private:
    std::shared_ptr<Gate> gate_;
};

class Bus final : public ShardAccess {
public:
    /// `catalogue` and `clock` must outlive the bus. `logger` receives delivery failures and plugin log lines.
    Bus(const Catalogue& catalogue, Clock& clock, BusOptions options, std::shared_ptr<spdlog::logger> logger);
    /// Stops (draining what was accepted) if still running.
    ~Bus() override;

    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    /// Adds an endpoint to be wired at start(). The endpoint must outlive the bus's stop(). Not thread-safe; only
    /// before start().
    void add_endpoint(Endpoint& endpoint);
    /// Installs the work done under each shard's lock before delivery (session tracking, journal). `stage` must
    /// outlive the bus. Only before start(); without a stage, accepted events are simply delivered.
    void set_admission_stage(AdmissionStage& stage);
    /// Declares the events the runtime itself publishes (through the admission stage), so consuming them is wired
    /// without a warning. Only before start().
    void set_runtime_publishes(std::vector<std::string> events) { runtime_publishes_ = std::move(events); }
    /// Wires the endpoints (throws WiringError) and starts the worker threads. Returns the wiring's warnings.
    const std::vector<std::string>& start();
    /// The wiring in force: built by start(), replaced by replace_endpoints().
    const Wiring& wiring() const noexcept { return *wiring_.load(std::memory_order_acquire); }
    /// Parks every worker thread between two deliveries until the returned pause is destroyed (hot reload,
    /// bus_rewire.cpp). Meanwhile publishes are admitted and queue on their shards as usual; deliveries and timers
    /// wait. Throws BusBusyError naming what still runs when the workers are not all parked within `limit`. Only
    /// while running, and never from a delivery or a timer (that worker could not park: BusBusyError).
    [[nodiscard]] std::unique_ptr<WorkerPause> pause_workers(std::chrono::milliseconds limit);
    /// Replaces the wired endpoints under `pause`: wires `endpoints` (throws WiringError: nothing changed),
    /// installs the wiring with one pointer store, and drops the pending and already-due timers of every endpoint
    /// no longer wired. Once it returns, no worker enters a dropped endpoint again, so it may be destroyed; an
    /// event queued before is delivered by the new wiring. Returns its warnings. Not concurrent with itself.
    std::vector<std::string> rewire(const WorkerPause& pause, std::vector<Endpoint*> endpoints);

    /// Validates, stamps, admits and queues `event` on behalf of `publisher` (nullptr = an external source, which may
    /// publish any catalogue event). Thread-safe.
    PublishResult publish(const Endpoint* publisher, Event event);
    /// publish() for an event built from the C ABI (from_abi) (a plugin's, a handler's, an embedder's): its text is checked
    /// first as the wire reader checks JSON (UTF-8 in every string, `data` one well-formed JSON value), since no
    /// parser has seen it. Thread-safe.
    PublishResult publish_abi(const Endpoint* publisher, Event event);
    /// Publishes `events` in their order as publish() would each, but with one lock and at most one wake-up per
    /// shard touched and, with sync = "full", one durability wait per shard: results[i] answers events[i]. Per shard
    /// the accepted events are a prefix of that shard's events in the batch — once one is refused (full shard, store
    /// back-pressure or failure), the later ones on the same shard are refused too (busy), so a conversation keeps
    /// its order when the caller retries the refused ones. Thread-safe.
    std::vector<PublishResult> publish_many(const Endpoint* publisher, std::vector<Event> events);
    /// publish_many() of events built from the C ABI: each text is checked as publish_abi() checks it, a failing one
    /// is answered invalid and the rest go on as one batch.
    std::vector<PublishResult> publish_abi_many(const Endpoint* publisher, std::vector<Event> events);
    /// Called once with the outcome of publish_async.
    using PublishCompletion = std::function<void(PublishResult)>;
    /// publish() without the durability wait: `done` is called exactly once with what publish() would have returned
    /// — on this thread before returning when the outcome is known at once (a refusal, a store that does not
    /// acknowledge after durability, an event already durable), otherwise on the store's writer thread once the commit
    /// holding the event is done (or has failed). `done` must be short: the next commit waits for it. Thread-safe.
    void publish_async(const Endpoint* publisher, Event event, PublishCompletion done);
    /// publish_async() for an event built from the C ABI, checked as publish_abi() checks it.
    void publish_abi_async(const Endpoint* publisher, Event event, PublishCompletion done);
    /// The store made shard `shard`'s journal durable up to `ticket`: deliveries waiting for it go. Thread-safe.
    void mark_durable(std::size_t shard, std::uint64_t ticket) { shards_[shard % shards_.size()]->mark_durable(ticket); }
    /// Calls `owner.fire_timer(token)` after `delay_ms` of the bus's clock. False when stopping.
    bool schedule_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token);
    /// The same, but filed under (`file_owner`, `file_token`) instead of (owner, token): what a persistent timer
    /// uses, so that moving one cancels exactly its own pending firing (cancel it with timers().cancel()).
    bool schedule_timer_filed(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token, const void* file_owner,
                              std::uint64_t file_token);
    /// Cancels every pending timer of `owner` with `token`.
    void cancel_timer(const Endpoint& owner, std::uint64_t token);
    /// The bus's clock, ms since the Unix epoch.
    std::int64_t now_ms() const override { return clock_.now_ms(); }
    /// A log line on behalf of `source`.
    void log(const Endpoint& source, cim_log_level_t level, std::string_view message);


    /// Blocks until every accepted event has been delivered, including events published while draining.
    void drain();
    /// Refuses new events, drains, cancels timers and joins the workers. Idempotent. Waits as long as it takes.
    void stop();
    /// stop(), giving up after `limit`: then the workers are left running (a plugin blocks one, or deliveries wait for
    /// a store that cannot write) and the report names what holds it. Calling it again waits again.
    StopReport stop(std::chrono::milliseconds limit);

    BusMetrics metrics() const;
    /// Accepted events (duplicates included) by EventKindId (index = id; empty before start()).
    std::vector<std::uint64_t> accepted_by_kind() const;
    /// Duplicates by EventKindId, the same way.
    std::vector<std::uint64_t> duplicates_by_kind() const;
    /// Queued and in-delivery events over all shards, and the deepest shard: /metrics aggregates, no label per shard.
    QueueSummary queues() const;
    /// Publish → first delivery latency of delivered events.
    const LatencyHistogram& delivery_latency() const noexcept { return latency_; }
    const Catalogue& catalogue() const noexcept { return catalogue_; }

    /// The shard an event with this routing key belongs to.
    std::size_t shard_index(std::string_view routing_key) const noexcept;
    /// The timer service on the bus's clock; its callbacks run on the worker pool and count as in flight.
    TimerService& timers() noexcept override { return timers_; }

    // ShardAccess: what the admission stage uses (admission.hpp).
    void run_on_shard(std::size_t shard, const Shard::Admit& work) override { shards_[shard]->admit_unbounded(work); }
    std::size_t shard_of(std::string_view routing_key) const noexcept override { return shard_index(routing_key); }
    std::size_t shard_count() const noexcept override { return shards_.size(); }

private:
    /// Whether the calling thread is one of this process's bus workers (inside a delivery or a timer).
    static bool on_worker_thread() noexcept;
    /// Whether `owner` is wired as the same endpoint (serial) a timer was scheduled for. On a worker thread.
    bool timer_owner_live(const Endpoint* owner, std::uint64_t serial) const;
    /// A worker thread's loop: io_context::run, except that a worker out of work polls briefly before it sleeps.
    void run_worker(std::size_t index);
    void process(Envelope& envelope);
    /// `n` events (or timer callbacks, or publish calls) in flight are done.
    void finish(std::uint64_t n) noexcept;
    /// What publishing does up to the durability wait: validated, stamped, admitted. `ticket` is what to wait for
    /// before acknowledging (0: nothing); `refused` holds the answer when it is already known to be a refusal.
    struct Admitted {
        std::optional<PublishResult> refused;
        PublishResult result;
        std::size_t shard = 0;
        std::uint64_t ticket = 0;
        EventKindId kind = no_event_kind;
    };
    /// `blocking`: the caller will wait for durability (publish, publish_many), which a publish_async completion
    /// on the store's writer thread must not; refused then before anything is admitted.
    Admitted admit(const Endpoint* publisher, Event event, bool blocking);
    /// The refusal every event of a publish call gets before admission, if any: the runtime is not running, or a
    /// `blocking` call comes from where it would wait for itself.
    std::optional<PublishResult> refuse_at_door(const Endpoint* publisher, bool blocking);
    /// Validates `event` (catalogue rules, `wiring`'s may-publish for `publisher`) and stamps its id and timestamp
    /// when absent (with `now_ms`, read from the clock first when still 0); the refusal when it fails.
    std::optional<PublishResult> check_and_stamp(const Endpoint* publisher, Event& event, const Wiring& wiring,
                                                 std::int64_t& now_ms);
    /// Counts a publish call in flight while it lives, so stop() cannot miss what it is admitting.
    struct InFlight {
        explicit InFlight(Bus& bus) : bus_(bus) { bus_.in_flight_.fetch_add(1); }
        ~InFlight() { bus_.finish(1); }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;

    private:
        Bus& bus_;
    };
    /// Counts and returns a refusal of `publisher`'s event.
    PublishResult refuse(const Endpoint* publisher, PublishStatus status, std::string error);
    /// Counts and returns the acceptance `result` (an event of `kind`) once it is as durable as promised.
    PublishResult acknowledge(const Endpoint* publisher, PublishResult result, EventKindId kind);
    void count_duplicate(EventKindId kind) noexcept;
    /// The text checks of publish_abi; the refusal when they fail.
    std::optional<PublishResult> check_abi(const Endpoint* publisher, const Event& event);
    void count_failure(Endpoint& endpoint, const std::string& what, const std::string& error);

    const Catalogue& catalogue_;
    Clock& clock_;
    BusOptions options_;
    std::shared_ptr<spdlog::logger> logger_;

    std::vector<Endpoint*> endpoints_;
    // The wiring in force; read without a lock on every publish and delivery. Every wiring ever installed is kept
    // until the bus goes (a few KB per reload): a publisher on its own thread may still read the one it loaded.
    std::atomic<const Wiring*> wiring_{nullptr};
    std::vector<std::unique_ptr<const Wiring>> wirings_;
    // The endpoints timers may fire into, each with the serial it was wired under: a timer callback already handed
    // to the pool when its owner was dropped finds it gone (or replaced at the same address) and does nothing.
    mutable std::mutex live_mutex_;
    std::unordered_map<const Endpoint*, std::uint64_t> live_;
    std::uint64_t next_serial_ = 1;
    AdmissionStage* stage_ = nullptr;
    std::vector<std::string> runtime_publishes_;

    boost::asio::io_context io_;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::thread> workers_;
    DeliveryWatch watch_;
    TimerService timers_;

    enum class State { created, running, stopping, stopped };
    std::atomic<State> state_{State::created};
    // Accepted but not yet fully delivered, across shards: the one number drain() can trust, because a delivery that
    // publishes increments it before its own event decrements it.
    std::atomic<std::uint64_t> in_flight_{0};
    // Counted on every event by every publisher and worker: striped per thread, summed by metrics().
    StripedCounter accepted_, busy_, invalid_, deliveries_, delivery_failures_, duplicates_, failed_;
    LatencyHistogram latency_;  // queued → first consumer's delivery
    // Accepted and duplicate events by catalogue kind (EventKindId), sized at start(): the catalogue does not grow
    // while the bus runs (a reload cannot add custom events).
    std::size_t counted_kinds_ = 0;
    std::unique_ptr<StripedCounter[]> accepted_by_kind_;
    std::unique_ptr<StripedCounter[]> duplicates_by_kind_;
};

}  // namespace cim::core
