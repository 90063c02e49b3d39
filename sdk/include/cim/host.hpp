// cim/host.hpp — `cim::Host`, the C++ face of the host's callback table.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cim/abi.h"
#include "cim/detail/strings.hpp"
#include "cim/detail/struct_size.hpp"
#include "cim/error.hpp"
#include "cim/logger.hpp"
#include "cim/outgoing_event.hpp"

namespace cim {

/**
 * The outcome of `Host::publish`. A refusal is a value, not an exception, because back-pressure (`busy()`) is an
 * expected answer a plugin must act on (retry later, or tell its upstream: the channel plugin answers HTTP 503),
 * never something to drop silently.
 *
 * Thread-safety: a plain value.
 *
 *     if (auto result = publish(event); result.busy()) return retry_later();
 *     else if (!result.ok()) throw cim::Error("publish failed: " + result.error);
 */
struct PublishResult {
    // A constructor rather than aggregate initialisation, so `PublishResult{CIM_BUSY, "why"}` stays warning-free now
    // that event_id follows.
    PublishResult(cim_rc_t code_ = CIM_OK, std::string error_ = {}, std::string event_id_ = {})
        : code(code_), error(std::move(error_)), event_id(std::move(event_id_)) {}

    /// The host's return code: CIM_OK, CIM_BUSY, CIM_INVALID, CIM_NOT_DECLARED, CIM_STOPPED, ...
    cim_rc_t code = CIM_OK;
    /// Why it failed, as the host's `last_error` said it; empty on success.
    std::string error;
    /// The accepted event's id (the one given, or the one the runtime made): set by `publish_async`; `publish`
    /// leaves it empty (the 1.0 callback does not return it).
    std::string event_id;

    /// True when the host accepted the event (it will be stored and delivered).
    [[nodiscard]] bool ok() const noexcept { return code == CIM_OK; }
    /// True when the conversation's shard is full: nothing was accepted; try again later.
    [[nodiscard]] bool busy() const noexcept { return code == CIM_BUSY; }
};

/// The scope of plugin state that belongs to the plugin as a whole rather than to one conversation.
inline constexpr std::string_view plugin_scope{};

/**
 * The host's services to one plugin instance: publishing, timers, the clock, the log, the queries of what the
 * runtime tracks and (ABI 1.2) the plugin's own state kept by the runtime. A thin wrapper over the
 * `cim_host_t` table handed to `create`, valid until the instance is destroyed; copies share the table.
 *
 * It reads a callback only when the table's `struct_size` covers it, so it works with an older host; calling a
 * callback the host does not provide throws cim::Error naming it.
 *
 * Thread-safety: every method may be called from any thread, concurrently (the host's callbacks are thread-safe and
 * a Host is immutable); `last_error` is read on the calling thread right after the failing call, as abi.h requires.
 */
class Host {
public:
    /// A metric's labels: name → value (see counter_add).
    using Labels = std::vector<std::pair<std::string, std::string>>;

    /// Wraps `table`. @throws cim::Error when `table` is NULL.
    explicit Host(const cim_host_t* table) : table_(checked(table)), log_(table) {}

    /**
     * Hands `event` to the runtime, which copies it before returning.
     * @return the host's verdict; on failure `error` holds the host's explanation.
     * @throws cim::Error only when the host provides no `publish` callback.
     */
    [[nodiscard]] PublishResult publish(const OutgoingEvent& event) const {
        const auto publish_fn = callback(&cim_host_t::publish, "publish");
        const cim_event_t raw = event.abi();
        PublishResult result{publish_fn(table_->ctx, &raw), {}};
        if (!result.ok()) {
            result.error = host_error();
            if (result.error.empty()) {
                // A host that gives no reason still deserves a message that names the event and the code.
                result.error = "publish of " + event.name() + " failed with " + std::string(rc_name(result.code));
            }
        }
        return result;
    }

    /**
     * Hands `events` to the runtime in their order with one shard lock, one wake-up and (sync = "full") one disk
     * wait per shard they touch, instead of one each (abi.h, `publish_many`). results[i] answers events[i]; per
     * conversation the accepted ones are a prefix, so retry the refused ones in order. The first refusal carries the
     * host's explanation, later ones a message naming their event and code. On a host older than ABI 1.3 it calls
     * publish() for each. Cost: one vector of views besides the host's admission.
     * @throws cim::Error only when the host provides neither `publish_many` nor `publish`.
     */
    [[nodiscard]] std::vector<PublishResult> publish_many(const std::vector<OutgoingEvent>& events) const {
        std::vector<PublishResult> results;
        results.reserve(events.size());
        if (!detail::has_field(*table_, &cim_host_t::publish_many) || table_->publish_many == nullptr) {
            for (const auto& event : events) results.push_back(publish(event));
            return results;
        }
        std::vector<cim_event_t> raw;
        raw.reserve(events.size());
        for (const auto& event : events) raw.push_back(event.abi());
        std::vector<cim_rc_t> codes(events.size(), CIM_OK);
        const cim_rc_t first = table_->publish_many(table_->ctx, raw.data(), raw.size(), codes.data());
        const std::string why = first == CIM_OK ? std::string() : host_error();
        bool explained = false;
        for (std::size_t i = 0; i < events.size(); ++i) {
            PublishResult result{codes[i]};
            if (!result.ok()) {
                result.error = !explained && !why.empty() ? why
                                                          : "publish of " + events[i].name() + " failed with " +
                                                                std::string(rc_name(result.code));
                explained = true;
            }
            results.push_back(std::move(result));
        }
        return results;
    }

    /**
     * Hands `event` to the runtime without waiting for it to be durable; `done(PublishResult)` is called exactly once
     * with the verdict publish() would have returned, once the event is as durable as store.sync promises — so many
     * callers on one thread share a commit instead of waiting for one each (abi.h, `publish_async`). `done` runs on
     * this thread before publish_async returns when the verdict is known at once (a refusal, or any store but
     * sync = "full"), otherwise on the runtime's store thread: keep it short, do not block in it, do not call the
     * blocking publish() from it; post real work to your own thread. It may run after stop(), never after the
     * plugin is destroyed. An exception thrown by `done` is logged and dropped (it cannot unwind into the host).
     * On a host older than ABI 1.3 it publishes with publish() and calls `done` before returning.
     * Cost: one heap allocation for `done` besides publish's own admission.
     *
     *     host().publish_async(reply, [session](cim::PublishResult r) { session->post_answer(r.ok() ? 202 : 503); });
     *
     * @throws cim::Error only when the host provides neither `publish_async` nor `publish`.
     */
    template <class Done>
    void publish_async(const OutgoingEvent& event, Done&& done) const {
        using Fn = std::decay_t<Done>;
        if (!detail::has_field(*table_, &cim_host_t::publish_async) || table_->publish_async == nullptr) {
            Fn fn(std::forward<Done>(done));
            fn(publish(event));
            return;
        }
        const cim_event_t raw = event.abi();
        auto* pending = new AsyncPublish<Fn>{Fn(std::forward<Done>(done)), log_};
        if (table_->publish_async(table_->ctx, &raw, &finish_async<Fn>, pending) != CIM_OK) {
            // Only for a NULL argument, which cannot happen here; `done` was not called and never will be.
            std::unique_ptr<AsyncPublish<Fn>> owned(pending);
            PublishResult refused{CIM_INVALID, host_error(), {}};
            owned->done(std::move(refused));
        }
    }

    /**
     * Asks for `on_timer(token)` after `delay` on the runtime's clock (a manual clock in tests). A zero or negative
     * delay fires as soon as possible. Several timers may share a token.
     * @throws cim::Error when the host refuses (the runtime is stopping) or provides no `schedule_timer` callback.
     *
     *     schedule(std::chrono::seconds(30), kIdleTimer);   // any duration converting to milliseconds
     */
    void schedule(std::chrono::milliseconds delay, std::uint64_t token) const {
        const auto schedule_fn = callback(&cim_host_t::schedule_timer, "schedule_timer");
        const std::uint64_t delay_ms = delay.count() > 0 ? static_cast<std::uint64_t>(delay.count()) : 0;
        check(schedule_fn(table_->ctx, delay_ms, token), "schedule_timer", token);
    }

    /**
     * Cancels every pending timer scheduled with `token` (no error when none is pending). A timer already firing may
     * still be delivered, so `on_timer` must tolerate a token it has just cancelled.
     * @throws cim::Error when the host refuses or provides no `cancel_timer` callback.
     */
    void cancel(std::uint64_t token) const {
        const auto cancel_fn = callback(&cim_host_t::cancel_timer, "cancel_timer");
        check(cancel_fn(table_->ctx, token), "cancel_timer", token);
    }

    /**
     * The runtime's clock in ms since the Unix epoch: the clock that stamps events and drives timers. Use it instead
     * of the system clock so that tests with a manual clock stay deterministic.
     * @throws cim::Error when the host provides no `now_ms` callback.
     */
    [[nodiscard]] std::int64_t now_ms() const {
        return callback(&cim_host_t::now_ms, "now_ms")(table_->ctx);
    }

    /**
     * The plugin's own metrics on the runtime's `GET /metrics` ([metrics] listen), as cimrt_<plugin>_<name> with
     * plugin="<instance>" and `labels` (abi.h, `metric`, since ABI 1.4). A counter's name ends in `_total`;
     * label values must stay bounded (a queue, a channel — never a conversation or customer id). Cost: one lookup
     * in the plugin's metric table under its lock; the first call of a series allocates it.
     *
     *     host().gauge_set("queue_length", static_cast<double>(queue.size()), {{"queue", "sales"}},
     *                      "Conversations waiting for an agent.");
     *
     * @return false when the host refused the update (a broken rule, logged once by the caller if it cares) or is
     *   older than 1.4 (metrics then simply do not appear). Never throws for a refusal.
     */
    bool counter_add(std::string_view name, double value, const Labels& labels = {}, std::string_view help = {}) const {
        return metric(CIM_METRIC_COUNTER, name, value, labels, help);
    }
    /// Sets a gauge (see counter_add).
    bool gauge_set(std::string_view name, double value, const Labels& labels = {}, std::string_view help = {}) const {
        return metric(CIM_METRIC_GAUGE, name, value, labels, help);
    }
    /// Observes `value` (seconds, for durations) into a histogram with buckets 10 us .. 10 s (see counter_add).
    bool observe(std::string_view name, double value, const Labels& labels = {}, std::string_view help = {}) const {
        return metric(CIM_METRIC_HISTOGRAM, name, value, labels, help);
    }

    /**
     * The conversation as the runtime tracks it: state, channel sessions, participants and the activity timeline with
     * each activity's updates (the JSON of `cimrt inspect conversation --json`). Reflects every event accepted before
     * the call. Since ABI 1.1.
     * @return the document, or null when the runtime knows no such conversation.
     * @throws cim::Error when the host is older than 1.1 or cannot read its store.
     *
     *     const auto conversation = host().conversation(event.conversation_id());
     *     if (conversation.value("state", "") == "WRAP_UP") ...
     */
    [[nodiscard]] nlohmann::json conversation(std::string_view conversation_id) const {
        const auto fn = callback(&cim_host_t::get_conversation, "get_conversation");
        nlohmann::json document;
        const cim_rc_t code = fn(table_->ctx, detail::to_abi(conversation_id), &receive_json, &document);
        if (code == CIM_INVALID) return nullptr;
        check_query(code, "get_conversation");
        return document;
    }

    /**
     * The customer's journey: every activity across channels and conversations, in time order, each with its updates.
     * Since ABI 1.1.
     * @return {customerId, activities[...]}; activities is empty for an unknown customer.
     * @throws cim::Error when the host is older than 1.1 or cannot read its store.
     */
    [[nodiscard]] nlohmann::json customer_journey(std::string_view customer_id) const {
        const auto fn = callback(&cim_host_t::get_customer_journey, "get_customer_journey");
        nlohmann::json document;
        check_query(fn(table_->ctx, detail::to_abi(customer_id), &receive_json, &document), "get_customer_journey");
        return document;
    }

    /**
     * The conversation's tracked state without its timeline: {id, state, customerId, channelSessions[{id, state,
     * interactive}], participants[{id, type, role, active}]}. Answered from the runtime's memory — no store access,
     * a few hundred bytes of JSON — so it is what to ask on every message (conversation() rebuilds the timeline).
     * Since ABI 1.2.
     * @return the document, or null when the runtime tracks no such conversation in memory.
     * @throws cim::Error when the host is older than 1.2.
     */
    [[nodiscard]] nlohmann::json conversation_state(std::string_view conversation_id) const {
        const auto fn = callback(&cim_host_t::get_conversation_state, "get_conversation_state");
        nlohmann::json document;
        const cim_rc_t code = fn(table_->ctx, detail::to_abi(conversation_id), &receive_json, &document);
        if (code == CIM_INVALID) return nullptr;
        check_query(code, "get_conversation_state");
        return document;
    }

    // ---- Plugin state (ABI 1.2): kept by the runtime, so it survives a restart, a reload and, later, a failover.
    // `scope` is a conversation id (the entry lives and goes with the conversation) or cim::plugin_scope for the
    // plugin as a whole. The writes of one on_event / on_timer commit together when the hook returns; every write
    // is visible to the next read at once. Cost: an in-memory lookup under the scope's partition lock, plus a copy
    // into the store's writer queue for writes; with sync = "full", a write from the plugin's own thread (not from a
    // hook) waits for its commit. abi.h "Plugin state" has the whole contract.

    /// True when the host keeps plugin state (ABI 1.2 or newer): an older host has none of the calls below.
    [[nodiscard]] bool has_state() const noexcept {
        return detail::has_field(*table_, &cim_host_t::get_conversation_state) && table_->state_put != nullptr;
    }

    /**
     * Creates or replaces `key` in `scope` with `bytes` (at most 1 MiB; the key 1..1024 bytes of UTF-8, no NUL).
     * @throws cim::Error for a bad key or value, or when the store cannot write (nothing changed then).
     *
     *     host().put_state(event.conversation_id(), "task", task.dump());
     */
    void put_state(std::string_view scope, std::string_view key, std::string_view bytes) const {
        const auto fn = callback(&cim_host_t::state_put, "state_put");
        check_state(fn(table_->ctx, detail::to_abi(scope), detail::to_abi(key), detail::to_abi(bytes)), "state_put",
                    key);
    }

    /// The bytes under `key` in `scope`, or nullopt when there are none. @throws cim::Error for a bad key.
    [[nodiscard]] std::optional<std::string> get_state(std::string_view scope, std::string_view key) const {
        const auto fn = callback(&cim_host_t::state_get, "state_get");
        std::string value;
        const cim_rc_t code = fn(table_->ctx, detail::to_abi(scope), detail::to_abi(key), &receive_bytes, &value);
        if (code == CIM_NOT_FOUND) return std::nullopt;
        check_state(code, "state_get", key);
        return value;
    }

    /// Deletes `key` from `scope` (no error when absent). @throws cim::Error as put_state.
    void erase_state(std::string_view scope, std::string_view key) const {
        const auto fn = callback(&cim_host_t::state_delete, "state_delete");
        check_state(fn(table_->ctx, detail::to_abi(scope), detail::to_abi(key)), "state_delete", key);
    }

    /// Every (key, bytes) of `scope` whose key starts with `prefix`, in key order. Cost: O(log n + entries).
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> list_state(std::string_view scope,
                                                                             std::string_view prefix = {}) const {
        const auto fn = callback(&cim_host_t::state_list, "state_list");
        std::vector<std::pair<std::string, std::string>> entries;
        check_state(fn(table_->ctx, detail::to_abi(scope), detail::to_abi(prefix), &receive_entry, &entries),
                    "state_list", prefix);
        return entries;
    }

    /// Every conversation in which this plugin keeps state: what to walk in `start` to take up its work again.
    /// Cost: O(this plugin's entries).
    [[nodiscard]] std::vector<std::string> state_scopes() const {
        const auto fn = callback(&cim_host_t::state_scopes, "state_scopes");
        std::vector<std::string> scopes;
        check_state(fn(table_->ctx, &receive_scope, &scopes), "state_scopes", {});
        return scopes;
    }

    /// put_state with a JSON value (serialised compactly).
    void put_json(std::string_view scope, std::string_view key, const nlohmann::json& value) const {
        put_state(scope, key, value.dump());
    }

    /// get_state parsed as JSON; nullopt when absent. @throws cim::Error when the bytes are not JSON.
    [[nodiscard]] std::optional<nlohmann::json> get_json(std::string_view scope, std::string_view key) const {
        const auto bytes = get_state(scope, key);
        if (!bytes) return std::nullopt;
        try {
            return nlohmann::json::parse(*bytes);
        } catch (const nlohmann::json::exception& e) {
            throw Error("cim: state '" + std::string(key) + "' is not JSON: " + e.what());
        }
    }

    /**
     * A persistent timer: `on_timer(token)` at `deadline_ms` on the runtime's clock (now_ms()), surviving restarts
     * and reloads — one that fell due while the runtime was down fires right after the next start. One per
     * (scope, token): scheduling again moves it. Forgotten once on_timer for it returned OK, or by cancel(token).
     * Since ABI 1.2.
     * @throws cim::Error when the store cannot write or the runtime is stopping.
     *
     *     host().schedule_at(conversation_id, host().now_ms() + 30'000, offer_token);
     */
    void schedule_at(std::string_view scope, std::int64_t deadline_ms, std::uint64_t token) const {
        const auto fn = callback(&cim_host_t::schedule_timer_at, "schedule_timer_at");
        check(fn(table_->ctx, detail::to_abi(scope), deadline_ms, token), "schedule_timer_at", token);
    }

    /// The runtime's log, tagged with the plugin's name.
    [[nodiscard]] const Logger& log() const noexcept { return log_; }

    /// The underlying ABI table, for what this wrapper does not cover; read it with detail::has_field().
    [[nodiscard]] const cim_host_t& abi() const noexcept { return *table_; }

private:
    bool metric(cim_metric_kind_t kind, std::string_view name, double value, const Labels& labels,
                std::string_view help) const {
        if (!detail::has_field(*table_, &cim_host_t::metric) || table_->metric == nullptr) return false;
        std::string labels_json;
        if (!labels.empty()) {
            nlohmann::json object = nlohmann::json::object();
            for (const auto& [label, value_text] : labels) object[label] = value_text;
            labels_json = object.dump();
        }
        return table_->metric(table_->ctx, kind, {name.data(), name.size()}, {labels_json.data(), labels_json.size()},
                              value, {help.data(), help.size()}) == CIM_OK;
    }
    static const cim_host_t* checked(const cim_host_t* table) {
        if (table == nullptr) throw Error("cim: the host table is NULL");
        return table;
    }

    template <class Fn>
    [[nodiscard]] Fn callback(Fn cim_host_t::*member, std::string_view name) const {
        if (!detail::has_field(*table_, member) || table_->*member == nullptr) {
            throw Error("cim: the host provides no '" + std::string(name) + "' callback (host table struct_size " +
                        std::to_string(table_->struct_size) + ")");
        }
        return table_->*member;
    }

    /// The host's explanation of the last failed callback on this thread; empty when it cannot say.
    [[nodiscard]] std::string host_error() const {
        if (!detail::has_field(*table_, &cim_host_t::last_error) || table_->last_error == nullptr) return {};
        return std::string(detail::to_view(table_->last_error(table_->ctx)));
    }

    // The query callbacks hand the document over inside the call; it is parsed here, in the plugin's own library.
    static void receive_json(void* user, cim_str_t json) {
        try {
            *static_cast<nlohmann::json*>(user) = nlohmann::json::parse(detail::to_view(json));
        } catch (...) {
            // A host that sends malformed JSON is a host bug; the caller sees a null document rather than an
            // exception unwinding through the host's C frames.
            *static_cast<nlohmann::json*>(user) = nullptr;
        }
    }

    // What publish_async keeps until the host calls back.
    template <class Fn>
    struct AsyncPublish {
        Fn done;
        Logger log;
    };
    template <class Fn>
    static void finish_async(void* user, cim_rc_t rc, cim_str_t event_id, cim_str_t error) noexcept {
        std::unique_ptr<AsyncPublish<Fn>> pending(static_cast<AsyncPublish<Fn>*>(user));
        try {
            pending->done(PublishResult{rc, std::string(detail::to_view(error)), std::string(detail::to_view(event_id))});
        } catch (const std::exception& e) {
            pending->log.error(std::string("publish_async: the completion threw: ") + e.what());
        } catch (...) {
            pending->log.error("publish_async: the completion threw an unknown exception");
        }
    }

    static void receive_bytes(void* user, cim_str_t bytes) {
        static_cast<std::string*>(user)->assign(detail::to_view(bytes));
    }
    static void receive_scope(void* user, cim_str_t scope) {
        static_cast<std::vector<std::string>*>(user)->emplace_back(detail::to_view(scope));
    }
    static void receive_entry(void* user, cim_str_t key, cim_str_t value) {
        static_cast<std::vector<std::pair<std::string, std::string>>*>(user)->emplace_back(detail::to_view(key),
                                                                                           detail::to_view(value));
    }

    void check_state(cim_rc_t code, std::string_view what, std::string_view key) const {
        if (code == CIM_OK) return;
        std::string message = "cim: " + std::string(what) + "('" + std::string(key) + "') failed with " +
                              std::string(rc_name(code));
        if (const std::string reason = host_error(); !reason.empty()) message += ": " + reason;
        throw Error(message);
    }

    void check_query(cim_rc_t code, std::string_view what) const {
        if (code == CIM_OK) return;
        std::string message = "cim: " + std::string(what) + " failed with " + std::string(rc_name(code));
        if (const std::string reason = host_error(); !reason.empty()) message += ": " + reason;
        throw Error(message);
    }

    void check(cim_rc_t code, std::string_view what, std::uint64_t token) const {
        if (code == CIM_OK) return;
        std::string message = "cim: " + std::string(what) + "(token " + std::to_string(token) + ") failed with " +
                              std::string(rc_name(code));
        if (const std::string reason = host_error(); !reason.empty()) message += ": " + reason;
        throw Error(message);
    }

    const cim_host_t* table_;
    Logger log_;
};

}  // namespace cim
