// Delivers outbound messages to external connectors: POSTs each CIM message to the connector's webhook, one at a time
// per conversation (so the customer reads them in order), retrying with exponential back-off. When the last retry
// fails, `on_failure` runs so the plugin can publish a FAILED delivery notification.
//
// The queue is kept in the runtime's plugin state (channel_state.hpp, "webhook/<seq>" in the conversation's scope):
// written when a delivery is queued — inside the on_event that queued it, so it commits with that hook — and erased
// once it is delivered or given up. restore() takes the pending ones back in start(): a restart resumes them, at
// least once (a POST that succeeded just before a crash is sent again, with the same body and message `id`, which is
// what a receiver dedupes on).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_client.hpp"

#include "channel_state.hpp"

namespace cim::channel {

struct WebhookDelivery {
    std::string conversation_id;
    std::string event_id;  ///< the event the message travelled in (what a FAILED notification refers to)
    std::string url;
    std::string body;      ///< the JSON POSTed
    std::string secret;    ///< the connector's webhook_secret: each attempt is signed afresh (webhook_signature.hpp)
    std::uint64_t seq = 0; ///< its key in the plugin state; set by send()
};

struct WebhookPolicy {
    std::chrono::milliseconds timeout{5000};
    int retries = 3;
    std::chrono::milliseconds backoff{250};
};

class WebhookSender {
public:
    using FailureHandler = std::function<void(const WebhookDelivery&, const std::string& reason)>;

    /// `state` may be null (nothing kept).
    WebhookSender(web::EventLoop& loop, WebhookPolicy policy, FailureHandler on_failure, ChannelState* state = nullptr)
        : loop_(loop), client_(loop), policy_(policy), on_failure_(std::move(on_failure)), state_(state) {}

    /// Queues `delivery` behind the conversation's earlier ones, and keeps it until it is done. Thread-safe.
    void send(WebhookDelivery delivery);
    /// Takes back deliveries kept before a restart (each with its `seq`, in seq order) and starts them. In start(),
    /// before send() is first called.
    void restore(std::vector<WebhookDelivery> pending);

private:
    // On the loop's thread.
    void attempt(const std::string& conversation_id, int attempt_number);
    void finish(const std::string& conversation_id);

    web::EventLoop& loop_;
    web::HttpClient client_;
    WebhookPolicy policy_;
    FailureHandler on_failure_;
    ChannelState* state_;
    std::atomic<std::uint64_t> next_seq_{1};
    std::unordered_map<std::string, std::deque<WebhookDelivery>> queues_;  // by conversation; loop thread only
};

}  // namespace cim::channel
