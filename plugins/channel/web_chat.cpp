#include "web_chat.hpp"

#include <algorithm>
#include <chrono>

#include "plugin_common/random_id.hpp"

namespace cim::channel {
namespace {

constexpr std::size_t max_text = 4000;

// Text the customer typed: required, and bounded so one page cannot post megabytes into the journal.
std::optional<std::string> text_of(const nlohmann::json& frame, std::string& problem) {
    const auto it = frame.find("text");
    if (it == frame.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        problem = "text is required";
        return std::nullopt;
    }
    if (it->get_ref<const std::string&>().size() > max_text) {
        problem = "text is longer than " + std::to_string(max_text) + " bytes";
        return std::nullopt;
    }
    return it->get<std::string>();
}

std::string string_member(const nlohmann::json& frame, const char* key) {
    const auto it = frame.find(key);
    return it != frame.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string error_frame(std::string_view message) { return common::error_frame(message).dump(); }

web::WebSocketRoute WebChat::route() {
    web::WebSocketRoute route;
    route.path = "/ws";
    route.on_message = [this](const web::ConnectionPtr& c, std::string_view text) { frames_.dispatch(c, text); };
    route.on_close = [this](const web::ConnectionPtr& c) { on_close(c); };
    return route;
}

void WebChat::deliver(const SessionRecord& record, nlohmann::json item) {
    loop_.post([this, visitor_id = record.channel_customer_id, item = std::move(item)]() mutable {
        const auto hash = hash_of_visitor_.find(visitor_id);
        if (hash == hash_of_visitor_.end()) return;  // a status line for a visitor gone: nothing is lost
        append(visitors_.at(hash->second), std::move(item));
    });
}

void WebChat::deliver_message(const SessionRecord& record, nlohmann::json item, const std::string& event_id) {
    loop_.post([this, record, event_id, item = std::move(item)]() mutable {
        const auto hash = hash_of_visitor_.find(record.channel_customer_id);
        if (hash == hash_of_visitor_.end()) {
            // Forgotten past max_visitors: the page cannot get it, and the journal must say so.
            const std::string reason = "the web chat visitor is no longer known (forgotten past max_visitors)";
            loop_.report(cim::LogLevel::warn, "message " + event_id + " for conversation " + record.conversation_id +
                                                  " not delivered: " + reason);
            if (undeliverable_) undeliverable_(record, event_id, reason);
            return;
        }
        append(visitors_.at(hash->second), std::move(item));
    });
}

WebChat::Visitor* WebChat::visitor_of(const web::ConnectionPtr& connection) {
    const auto it = hash_of_connection_.find(connection->id());
    return it == hash_of_connection_.end() ? nullptr : &visitors_.at(it->second);
}

common::FrameDispatch WebChat::frame_table() {
    common::FrameDispatch frames([this](const web::ConnectionPtr& c) { return visitor_of(c) != nullptr; },
                                 "send hello first");
    // Any conversation or customer id a frame names is ignored: the socket speaks only for its own visitor.
    using Frame = const nlohmann::json&;
    frames.open("hello", [this](const web::ConnectionPtr& c, Frame f) { hello(c, f); })
        .session("message", [this](const web::ConnectionPtr& c, Frame f) { customer_message(*visitor_of(c), c, f, false); })
        .session("reply", [this](const web::ConnectionPtr& c, Frame f) { customer_message(*visitor_of(c), c, f, true); })
        .session("read", [this](const web::ConnectionPtr& c, Frame f) { mark_read(*visitor_of(c), c, f); })
        .session("end", [this](const web::ConnectionPtr& c, Frame) { end(*visitor_of(c), c); });
    return frames;
}

void WebChat::on_close(const web::ConnectionPtr& connection) {
    const auto it = hash_of_connection_.find(connection->id());
    if (it == hash_of_connection_.end()) return;
    if (const auto visitor = visitors_.find(it->second); visitor != visitors_.end() && visitor->second.connection == connection) {
        visitor->second.connection.reset();
    }
    hash_of_connection_.erase(it);
}

void WebChat::hello(const web::ConnectionPtr& connection, const nlohmann::json& frame) {
    if (hash_of_connection_.count(connection->id()) != 0) {
        connection->send(error_frame("hello was already sent on this connection"));
        return;
    }
    // Checked before anything is registered: a frame with a wrong shape changes nothing.
    const auto token_field = frame.find("token");
    if (token_field != frame.end() && !token_field->is_string()) {
        connection->send(error_frame("token must be a string"));
        return;
    }
    const auto last_seq_field = frame.find("lastSeq");
    if (last_seq_field != frame.end() && !last_seq_field->is_number_unsigned()) {
        connection->send(error_frame("lastSeq must be a non-negative integer"));
        return;
    }
    const std::uint64_t last_seen = last_seq_field == frame.end() ? 0 : last_seq_field->get<std::uint64_t>();
    std::string token = string_member(frame, "token");
    auto it = token.empty() ? visitors_.end() : visitors_.find(token_hash(token));
    if (it == visitors_.end()) {
        // An unknown token (a first visit, a visitor forgotten, a guess) gets a fresh visitor, never someone else's.
        if (!new_visitors_.take(connection->peer_address(), common::TokenBucket::Clock::now())) {
            connection->send(error_frame("too many new chats from your address; try again in a minute"));
            connection->close();
            return;
        }
        if (!make_room_for_a_visitor()) {
            connection->send(error_frame("too many visitors; try again later"));
            connection->close();
            return;
        }
        token = common::random_hex_128();
        Visitor visitor = make_visitor();
        visitor.hash = token_hash(token);
        visitor.visitor_id = common::random_hex_128();
        visitor.customer_id = config_.web_chat_service + ":" + visitor.visitor_id;
        hash_of_visitor_[visitor.visitor_id] = visitor.hash;
        keep_visitor(visitor);
        it = visitors_.emplace(visitor.hash, std::move(visitor)).first;
    }
    Visitor& visitor = it->second;
    visitor.last_active = ++activity_;
    if (visitor.connection) {
        // The newest page wins (a reload, a second tab); the old one is told why before it closes, so it does not
        // reconnect and take the chat back.
        visitor.connection->send(nlohmann::json{{"type", "replaced"}}.dump());
        visitor.connection->close();
        hash_of_connection_.erase(visitor.connection->id());
    }
    visitor.connection = connection;
    hash_of_connection_[connection->id()] = visitor.hash;
    connection->send(nlohmann::json{{"type", "welcome"}, {"token", token}, {"customerId", visitor.customer_id}}.dump());
    for (const auto& item : visitor.history) {
        if (item["seq"].get<std::uint64_t>() > last_seen) connection->send(item.dump());
    }
}

// Visitors are kept after their page closes (it may come back and replay), but not without bound: past
// `max_visitors`, the one gone longest makes room. A visitor with an open page or an open conversation is never
// dropped: churning new visitors must not cut off a customer an agent is answering.
bool WebChat::make_room_for_a_visitor() {
    if (visitors_.size() < config_.max_visitors) return true;
    auto oldest = visitors_.end();
    for (auto it = visitors_.begin(); it != visitors_.end(); ++it) {
        if (it->second.connection || (oldest != visitors_.end() && it->second.last_active >= oldest->second.last_active)) {
            continue;
        }
        const auto record = directory_.latest(config_.web_chat_service, it->second.visitor_id);
        if (record && record->open) continue;
        oldest = it;
    }
    if (oldest == visitors_.end()) return false;
    hash_of_visitor_.erase(oldest->second.visitor_id);
    if (state_ != nullptr) state_->erase_visitor(oldest->first);
    visitors_.erase(oldest);
    return true;
}

WebChat::Visitor WebChat::make_visitor() const {
    Visitor visitor;
    const auto rate = static_cast<double>(config_.customer_messages_per_minute);
    visitor.messages = common::TokenBucket(rate, std::chrono::minutes(1), rate);
    return visitor;
}

// The visitor's identity and the message ids it reported read (the most recent, twice as many as history items are
// kept): a page replaying its history after a restart re-reports them, and must not publish READ twice.
void WebChat::keep_visitor(const Visitor& visitor) {
    if (state_ == nullptr) return;
    const std::size_t kept = std::min(visitor.read_order.size(), 2 * config_.history_kept);
    state_->put_visitor(visitor.hash, visitor.visitor_id, visitor.customer_id,
                        std::vector<std::string>(visitor.read_order.end() - static_cast<std::ptrdiff_t>(kept),
                                                 visitor.read_order.end()));
}

void WebChat::restore(std::vector<ChannelState::Visitor> kept) {
    for (ChannelState::Visitor& k : kept) {
        Visitor visitor = make_visitor();
        visitor.hash = k.hash;
        visitor.visitor_id = k.visitor_id;
        visitor.customer_id = k.customer_id;
        for (std::string& id : k.read) {
            if (visitor.read.insert(id).second) visitor.read_order.push_back(std::move(id));
        }
        for (nlohmann::json& item : k.history) {
            if (!item.contains("seq") || !item["seq"].is_number_unsigned()) continue;
            visitor.next_seq = std::max(visitor.next_seq, item["seq"].get<std::uint64_t>() + 1);
            visitor.history.push_back(std::move(item));
        }
        while (visitor.history.size() > config_.history_limit) visitor.history.pop_front();
        hash_of_visitor_[visitor.visitor_id] = visitor.hash;
        visitors_[visitor.hash] = std::move(visitor);
    }
}

void WebChat::customer_message(Visitor& visitor, const web::ConnectionPtr& connection, const nlohmann::json& frame,
                               bool is_reply) {
    std::string problem;
    const auto text = text_of(frame, problem);
    if (!text) {
        connection->send(error_frame(problem));
        return;
    }
    // Before anything is published: a flooding page costs the journal nothing.
    if (!visitor.messages.take(common::TokenBucket::Clock::now())) {
        connection->send(error_frame("you are sending messages too fast; this one was not sent"));
        return;
    }
    const std::string message_id = common::random_uuid();
    nlohmann::json message = {{"id", message_id},
                              {"header", {{"sender", {{"id", visitor.customer_id}, {"type", "CUSTOMER"}}}}},
                              {"body", {{"type", "PLAIN"}, {"markdownText", *text}}}};
    if (is_reply) {
        // A button's answer: which message it answers, and the button's machine-readable value.
        message["header"]["replyToMessageId"] = string_member(frame, "replyTo");
        message["body"]["payload"] = string_member(frame, "payload");
    }
    visitor.last_active = ++activity_;
    const auto outcome = ingest_.customer_message(config_.web_chat_service, visitor.visitor_id, visitor.customer_id,
                                                  std::move(message), "");
    if (!outcome.result.ok()) {
        // The runtime's reason stays in the runtime's log (it may name files or internals); the page gets a retry hint.
        if (!outcome.result.busy()) {
            loop_.report(cim::LogLevel::warn, "a web chat message was not accepted: " + outcome.result.error);
        }
        connection->send(error_frame(outcome.result.busy() ? "busy: the message was not sent, please retry"
                                                           : "the message was not sent; please retry later"));
        return;
    }
    append(visitor, {{"type", "message"},
                     {"messageId", message_id},
                     {"from", {{"type", "CUSTOMER"}, {"name", "You"}}},
                     {"text", *text},
                     {"timestamp", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count()}});
}

void WebChat::mark_read(Visitor& visitor, const web::ConnectionPtr& connection, const nlohmann::json& frame) {
    const std::string message_id = string_member(frame, "messageId");
    if (message_id.empty()) {
        connection->send(error_frame("messageId is required"));
        return;
    }
    if (visitor.read.count(message_id) != 0) return;  // pages re-report after a replay; once is enough
    const auto record = directory_.latest(config_.web_chat_service, visitor.visitor_id);
    const auto event_id = record ? directory_.event_of_message(record->conversation_id, message_id) : std::nullopt;
    if (!event_id) {
        connection->send(error_frame("no message '" + message_id + "' in this conversation"));
        return;
    }
    const auto result = ingest_.delivery_notification(*record, *event_id, "READ", cim::EmitterType::customer,
                                                      visitor.customer_id);
    if (result.ok()) {
        visitor.read.insert(message_id);
        visitor.read_order.push_back(message_id);
        if (visitor.read_order.size() > config_.history_limit * 2) {  // bounded; a repeat READ is harmless
            visitor.read.erase(visitor.read_order.front());
            visitor.read_order.pop_front();
        }
        keep_visitor(visitor);
    }
}

void WebChat::end(Visitor& visitor, const web::ConnectionPtr& connection) {
    const auto record = directory_.latest(config_.web_chat_service, visitor.visitor_id);
    if (!record || !record->open) {
        connection->send(error_frame("there is no open chat to end"));
        return;
    }
    const auto result = ingest_.end_session(*record, cim::EmitterType::customer, visitor.customer_id);
    if (!result.ok()) {
        loop_.report(cim::LogLevel::warn, "a web chat end was not accepted: " + result.error);
        connection->send(error_frame("the chat could not be ended; please retry"));
        return;
    }
    append(visitor, {{"type", "ended"}, {"reason", "ENDED"}});
}

void WebChat::append(Visitor& visitor, nlohmann::json item) {
    const std::uint64_t seq = visitor.next_seq++;
    item["seq"] = seq;
    visitor.history.push_back(item);
    if (visitor.history.size() > config_.history_limit) visitor.history.pop_front();
    if (state_ != nullptr) {
        // Kept before the page sees it (with sync = "full", on disk): what a page was shown survives a crash. A ring
        // of the last history_kept: the item that falls out of it is erased as this one is written.
        state_->put_history(visitor.hash, item);
        if (seq > config_.history_kept) state_->erase_history(visitor.hash, seq - config_.history_kept);
    }
    if (visitor.connection) visitor.connection->send(item.dump());
}

}  // namespace cim::channel
