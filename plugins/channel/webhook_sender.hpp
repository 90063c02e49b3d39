// Delivers outbound messages to external connectors: POSTs each CIM message to the connector's webhook, one at a time
// per conversation (so the customer reads them in order), retrying with exponential back-off. When the last retry
// fails, `on_failure` runs so the plugin can publish a FAILED delivery notification.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_client.hpp"

namespace cim::channel {

struct WebhookDelivery {
    std::string conversation_id;
    std::string event_id;  ///< the event the message travelled in (what a FAILED notification refers to)
    std::string url;
    std::string body;      ///< the JSON POSTed
    std::string secret;    ///< the connector's webhook_secret: each attempt is signed afresh (webhook_signature.hpp)
};

struct WebhookPolicy {
    std::chrono::milliseconds timeout{5000};
    int retries = 3;
    std::chrono::milliseconds backoff{250};
};

class WebhookSender {
public:
    using FailureHandler = std::function<void(const WebhookDelivery&, const std::string& reason)>;

    WebhookSender(web::EventLoop& loop, WebhookPolicy policy, FailureHandler on_failure)
        : loop_(loop), client_(loop), policy_(policy), on_failure_(std::move(on_failure)) {}

    /// Queues `delivery` behind the conversation's earlier ones. Thread-safe.
    void send(WebhookDelivery delivery);

private:
    // On the loop's thread.
    void attempt(const std::string& conversation_id, int attempt_number);
    void finish(const std::string& conversation_id);

    web::EventLoop& loop_;
    web::HttpClient client_;
    WebhookPolicy policy_;
    FailureHandler on_failure_;
    std::unordered_map<std::string, std::deque<WebhookDelivery>> queues_;  // by conversation; loop thread only
};

}  // namespace cim::channel
