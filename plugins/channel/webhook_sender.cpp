#include "webhook_sender.hpp"

#include <algorithm>
#include <chrono>

#include "webhook_signature.hpp"

namespace cim::channel {
namespace {

// A 4xx other than 408/429 says the request itself is wrong: sending it again cannot help.
bool worth_retrying(const web::HttpResult& result) {
    if (result.status == 0) return true;  // no answer: refused, reset, timed out
    return result.status >= 500 || result.status == 408 || result.status == 429;
}

}  // namespace

void WebhookSender::send(WebhookDelivery delivery) {
    delivery.seq = next_seq_++;
    if (state_ != nullptr) state_->put_delivery(delivery.conversation_id, delivery.seq, delivery.event_id, delivery.body);
    loop_.post([this, delivery = std::move(delivery)]() mutable {
        auto& queue = queues_[delivery.conversation_id];
        queue.push_back(std::move(delivery));
        if (queue.size() == 1) attempt(queue.front().conversation_id, 0);
    });
}

void WebhookSender::restore(std::vector<WebhookDelivery> pending) {
    for (const auto& delivery : pending) next_seq_ = std::max<std::uint64_t>(next_seq_, delivery.seq + 1);
    loop_.post([this, pending = std::move(pending)]() mutable {
        for (auto& delivery : pending) {
            auto& queue = queues_[delivery.conversation_id];
            queue.push_back(std::move(delivery));
            if (queue.size() == 1) attempt(queue.front().conversation_id, 0);
        }
    });
}

void WebhookSender::attempt(const std::string& conversation_id, int attempt_number) {
    const WebhookDelivery& delivery = queues_.at(conversation_id).front();
    web::HttpUrl url;
    try {
        url = web::HttpUrl::parse(delivery.url);
    } catch (const std::exception& e) {
        on_failure_(delivery, e.what());
        finish(conversation_id);
        return;
    }
    // Signed at each attempt, with the time of that attempt: a retry is as fresh as a first try to the receiver.
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::pair<std::string, std::string>> headers;
    if (!delivery.secret.empty()) {
        headers.emplace_back(timestamp_header, std::to_string(now_s));
        headers.emplace_back(signature_header, webhook_signature(delivery.secret, now_s, delivery.body));
    }
    client_.post_json(url, delivery.body, policy_.timeout, std::move(headers),
                      [this, conversation_id, attempt_number](web::HttpResult result) {
        const auto queue = queues_.find(conversation_id);
        if (queue == queues_.end() || queue->second.empty()) return;
        if (result.ok) {
            finish(conversation_id);
            return;
        }
        if (attempt_number < policy_.retries && worth_retrying(result)) {
            const auto wait = policy_.backoff * (1 << attempt_number);
            loop_.post_after(wait, [this, conversation_id, attempt_number] { attempt(conversation_id, attempt_number + 1); });
            return;
        }
        on_failure_(queue->second.front(), result.error + " after " + std::to_string(attempt_number + 1) + " attempt(s)");
        finish(conversation_id);
    });
}

void WebhookSender::finish(const std::string& conversation_id) {
    auto& queue = queues_.at(conversation_id);
    if (state_ != nullptr) state_->erase_delivery(conversation_id, queue.front().seq);
    queue.pop_front();
    if (queue.empty()) {
        queues_.erase(conversation_id);
        return;
    }
    attempt(conversation_id, 0);
}

}  // namespace cim::channel
