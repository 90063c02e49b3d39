#include "channel_state.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include <sodium.h>

namespace cim::channel {
namespace {

constexpr std::string_view session_key = "session";
constexpr std::string_view message_prefix = "msg/";
constexpr std::string_view delivery_prefix = "webhook/";
constexpr std::string_view visitor_prefix = "visitor/";
constexpr std::string_view history_prefix = "history/";

// Zero-padded, so the runtime's key order (bytes) is seq order.
std::string seq_key(std::string_view prefix, std::uint64_t seq) {
    char digits[21];
    std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
    return std::string(prefix) + digits;
}

std::uint64_t seq_of(std::string_view key) {
    const auto slash = key.rfind('/');
    return std::stoull(std::string(key.substr(slash + 1)));
}

std::string history_key(const std::string& hash, std::uint64_t seq) {
    return seq_key(std::string(history_prefix) + hash + "/", seq);
}

}  // namespace

std::string token_hash(std::string_view token) {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium could not be initialised");
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

void ChannelState::put(std::string_view scope, const std::string& key, const std::string& value) const {
    if (!enabled()) return;
    try {
        host_.put_state(scope, key, value);
    } catch (const cim::Error& e) {
        host_.log().warn(std::string("channel state not kept (it will not survive a restart): ") + e.what());
    }
}

void ChannelState::erase(std::string_view scope, const std::string& key) const {
    if (!enabled()) return;
    try {
        host_.erase_state(scope, key);
    } catch (const cim::Error& e) {
        host_.log().warn(std::string("channel state not erased: ") + e.what());
    }
}

void ChannelState::put_session(const SessionRecord& r) {
    put(r.conversation_id, std::string(session_key),
        nlohmann::json{{"service", r.service},
                       {"channelCustomerId", r.channel_customer_id},
                       {"customerId", r.customer_id},
                       {"sessionId", r.session_id},
                       {"open", r.open},
                       {"started", r.started_ms}}
            .dump());
}

void ChannelState::erase_session(const std::string& conversation_id) {
    erase(conversation_id, std::string(session_key));
}

void ChannelState::put_message(const std::string& conversation_id, std::uint64_t seq, const std::string& message_id,
                               const std::string& event_id) {
    put(conversation_id, seq_key(message_prefix, seq), nlohmann::json{{"m", message_id}, {"e", event_id}}.dump());
}

void ChannelState::erase_message(const std::string& conversation_id, std::uint64_t seq) {
    erase(conversation_id, seq_key(message_prefix, seq));
}

void ChannelState::put_delivery(const std::string& conversation_id, std::uint64_t seq, const std::string& event_id,
                                const std::string& body) {
    put(conversation_id, seq_key(delivery_prefix, seq), nlohmann::json{{"eventId", event_id}, {"body", body}}.dump());
}

void ChannelState::erase_delivery(const std::string& conversation_id, std::uint64_t seq) {
    erase(conversation_id, seq_key(delivery_prefix, seq));
}

void ChannelState::put_visitor(const std::string& hash, const std::string& visitor_id, const std::string& customer_id,
                               const std::vector<std::string>& read) {
    put(cim::plugin_scope, std::string(visitor_prefix) + hash,
        nlohmann::json{{"visitorId", visitor_id}, {"customerId", customer_id}, {"read", read}}.dump());
}

void ChannelState::put_history(const std::string& hash, const nlohmann::json& item) {
    put(cim::plugin_scope, history_key(hash, item.at("seq").get<std::uint64_t>()), item.dump());
}

void ChannelState::erase_history(const std::string& hash, std::uint64_t seq) {
    erase(cim::plugin_scope, history_key(hash, seq));
}

void ChannelState::erase_visitor(const std::string& hash) {
    if (!enabled()) return;
    erase(cim::plugin_scope, std::string(visitor_prefix) + hash);
    try {
        for (const auto& [key, value] : host_.list_state(cim::plugin_scope, std::string(history_prefix) + hash + "/")) {
            erase(cim::plugin_scope, key);
        }
    } catch (const cim::Error& e) {
        host_.log().warn(std::string("channel state: a forgotten visitor's history was not erased: ") + e.what());
    }
}

ChannelState::Restored ChannelState::restore() const {
    Restored restored;
    if (!enabled()) return restored;
    const auto skipped = [this](std::string_view scope, const std::string& key, const std::exception& e) {
        host_.log().warn("channel state: skipped '" + key + "' of '" + std::string(scope) + "': " + e.what());
    };
    for (const std::string& scope : host_.state_scopes()) {
        KeptSession session;
        bool has_session = false;
        for (const auto& [key, value] : host_.list_state(scope)) {
            try {
                if (key == session_key) {
                    const auto j = nlohmann::json::parse(value);
                    session.record = {j.at("service"),   j.at("channelCustomerId"), j.at("customerId"), scope,
                                      j.at("sessionId"), j.at("open"),              j.value("started", std::int64_t{0})};
                    has_session = true;
                } else if (key.rfind(message_prefix, 0) == 0) {
                    const auto j = nlohmann::json::parse(value);
                    session.messages.push_back({seq_of(key), j.at("m"), j.at("e")});
                } else if (key.rfind(delivery_prefix, 0) == 0) {
                    const auto j = nlohmann::json::parse(value);
                    restored.deliveries.push_back({scope, seq_of(key), j.at("eventId"), j.at("body")});
                }
            } catch (const std::exception& e) {
                skipped(scope, key, e);
            }
        }
        if (has_session) restored.sessions.push_back(std::move(session));
    }
    std::sort(restored.deliveries.begin(), restored.deliveries.end(),
              [](const Delivery& a, const Delivery& b) { return a.seq < b.seq; });

    std::map<std::string, Visitor> visitors;  // by hash
    for (const auto& [key, value] : host_.list_state(cim::plugin_scope)) {
        try {
            if (key.rfind(visitor_prefix, 0) == 0) {
                const auto j = nlohmann::json::parse(value);
                Visitor& v = visitors[key.substr(visitor_prefix.size())];
                v.hash = key.substr(visitor_prefix.size());
                v.visitor_id = j.at("visitorId");
                v.customer_id = j.at("customerId");
                v.read = j.value("read", std::vector<std::string>{});
            } else if (key.rfind(history_prefix, 0) == 0) {
                const std::string rest = key.substr(history_prefix.size());
                visitors[rest.substr(0, rest.find('/'))].history.push_back(nlohmann::json::parse(value));
            }
        } catch (const std::exception& e) {
            skipped("", key, e);
        }
    }
    for (auto& [hash, visitor] : visitors) {
        if (visitor.visitor_id.empty()) {
            // History without its visitor: a crash between the erases of a forgotten visitor. Finish the job.
            for (const auto& item : visitor.history) {
                if (item.contains("seq")) erase(cim::plugin_scope, history_key(hash, item["seq"].get<std::uint64_t>()));
            }
            continue;
        }
        restored.visitors.push_back(std::move(visitor));
    }
    return restored;
}

}  // namespace cim::channel
