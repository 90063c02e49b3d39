// cim/host.hpp — `cim::Host`, the C++ face of the host's callback table.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

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
    /// The host's return code: CIM_OK, CIM_BUSY, CIM_INVALID, CIM_NOT_DECLARED, CIM_STOPPED, ...
    cim_rc_t code = CIM_OK;
    /// Why it failed, as the host's `last_error` said it; empty on success.
    std::string error;

    /// True when the host accepted the event (it will be stored and delivered).
    [[nodiscard]] bool ok() const noexcept { return code == CIM_OK; }
    /// True when the conversation's shard is full: nothing was accepted; try again later.
    [[nodiscard]] bool busy() const noexcept { return code == CIM_BUSY; }
};

/**
 * The host's services to one plugin instance: publishing, timers, the clock and the log. A thin wrapper over the
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

    /// The runtime's log, tagged with the plugin's name.
    [[nodiscard]] const Logger& log() const noexcept { return log_; }

    /// The underlying ABI table, for what this wrapper does not cover; read it with detail::has_field().
    [[nodiscard]] const cim_host_t& abi() const noexcept { return *table_; }

private:
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
