#include "session_directory.hpp"

#include "plugin_common/random_id.hpp"

namespace cim::channel {
namespace {

std::string customer_key(const std::string& service, const std::string& channel_customer_id) {
    return service + '\n' + channel_customer_id;
}

}  // namespace

SessionDirectory::Found SessionDirectory::find_or_start(const std::string& service,
                                                        const std::string& channel_customer_id,
                                                        const std::string& customer_id) {
    std::lock_guard lock(mutex_);
    const std::string key = customer_key(service, channel_customer_id);
    if (auto it = open_by_customer_.find(key); it != open_by_customer_.end()) return {sessions_.at(it->second), false};
    // A session the customer ended (or that expired) is not resumed: a new one starts, in a new conversation.
    SessionRecord record{service, channel_customer_id, customer_id, common::random_uuid(), common::random_uuid(), true};
    open_by_customer_[key] = record.session_id;
    latest_by_customer_[key] = record.session_id;
    by_conversation_[record.conversation_id] = record.session_id;
    sessions_[record.session_id] = record;
    return {std::move(record), true};
}

std::optional<SessionRecord> SessionDirectory::latest(const std::string& service,
                                                     const std::string& channel_customer_id) const {
    std::lock_guard lock(mutex_);
    const auto it = latest_by_customer_.find(customer_key(service, channel_customer_id));
    if (it == latest_by_customer_.end()) return std::nullopt;
    return sessions_.at(it->second);
}

std::optional<SessionRecord> SessionDirectory::by_conversation(const std::string& conversation_id) const {
    std::lock_guard lock(mutex_);
    const auto it = by_conversation_.find(conversation_id);
    if (it == by_conversation_.end()) return std::nullopt;
    return sessions_.at(it->second);
}

std::optional<SessionRecord> SessionDirectory::by_session(const std::string& session_id) const {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
}

std::optional<SessionRecord> SessionDirectory::close(const std::string& session_id) {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !it->second.open) return std::nullopt;
    SessionRecord before = it->second;
    it->second.open = false;
    open_by_customer_.erase(customer_key(before.service, before.channel_customer_id));
    // The record stays: messages still arrive for a closed conversation (the survey, a late agent message).
    closed_order_.push_back(session_id);
    if (closed_order_.size() > closed_limit) {
        const std::string oldest = closed_order_.front();
        closed_order_.pop_front();
        forget_locked(oldest);
    }
    return before;
}

void SessionDirectory::forget(const std::string& session_id) {
    std::lock_guard lock(mutex_);
    forget_locked(session_id);
}

void SessionDirectory::forget_locked(const std::string& session_id) {
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    const std::string key = customer_key(it->second.service, it->second.channel_customer_id);
    if (auto open = open_by_customer_.find(key); open != open_by_customer_.end() && open->second == session_id) {
        open_by_customer_.erase(open);
    }
    if (auto latest = latest_by_customer_.find(key); latest != latest_by_customer_.end() && latest->second == session_id) {
        latest_by_customer_.erase(latest);
    }
    by_conversation_.erase(it->second.conversation_id);
    messages_.erase(it->second.conversation_id);
    sessions_.erase(it);
}

void SessionDirectory::remember_message(const std::string& conversation_id, const std::string& message_id,
                                        const std::string& event_id) {
    std::lock_guard lock(mutex_);
    if (by_conversation_.count(conversation_id) == 0) return;  // forgotten: nothing will ask for it any more
    auto& recent = messages_[conversation_id];
    recent.emplace_back(message_id, event_id);
    if (recent.size() > message_limit) recent.pop_front();
}

std::optional<std::string> SessionDirectory::event_of_message(const std::string& conversation_id,
                                                              const std::string& message_id) const {
    std::lock_guard lock(mutex_);
    const auto it = messages_.find(conversation_id);
    if (it == messages_.end()) return std::nullopt;
    for (const auto& [message, event] : it->second) {
        if (message == message_id) return event;
    }
    return std::nullopt;
}

std::optional<std::string> SessionDirectory::message_of_event(const std::string& conversation_id,
                                                              const std::string& event_id) const {
    std::lock_guard lock(mutex_);
    const auto it = messages_.find(conversation_id);
    if (it == messages_.end()) return std::nullopt;
    for (const auto& [message, event] : it->second) {
        if (event == event_id) return message;
    }
    return std::nullopt;
}

}  // namespace cim::channel
