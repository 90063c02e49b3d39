#include "session_directory.hpp"

#include <algorithm>
#include <chrono>

#include "channel_state.hpp"
#include "plugin_common/random_id.hpp"

namespace cim::channel {
namespace {

std::string customer_key(const std::string& service, const std::string& channel_customer_id) {
    return service + '\n' + channel_customer_id;
}

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

void SessionDirectory::restore(std::vector<KeptSession> sessions) {
    // Oldest first, so that each customer's latest session is indexed last and the closed ones age in start order.
    std::sort(sessions.begin(), sessions.end(), [](const KeptSession& a, const KeptSession& b) {
        return a.record.started_ms != b.record.started_ms ? a.record.started_ms < b.record.started_ms
                                                          : !a.record.open && b.record.open;
    });
    std::lock_guard lock(mutex_);
    for (KeptSession& kept : sessions) {
        const SessionRecord& record = kept.record;
        index_locked(record);
        auto& recent = messages_[record.conversation_id];
        for (KeptMessage& m : kept.messages) recent.push_back({m.seq, std::move(m.message_id), std::move(m.event_id)});
        if (!record.open) {
            closed_order_.push_back(record.session_id);
            if (closed_order_.size() > closed_limit) {
                const std::string oldest = closed_order_.front();
                closed_order_.pop_front();
                forget_locked(oldest);  // its state goes when the runtime evicts the conversation
            }
        }
    }
}

std::size_t SessionDirectory::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void SessionDirectory::index_locked(const SessionRecord& record) {
    const std::string key = customer_key(record.service, record.channel_customer_id);
    if (record.open) open_by_customer_[key] = record.session_id;
    latest_by_customer_[key] = record.session_id;
    by_conversation_[record.conversation_id] = record.session_id;
    sessions_[record.session_id] = record;
}

SessionDirectory::Found SessionDirectory::find_or_start(const std::string& service,
                                                        const std::string& channel_customer_id,
                                                        const std::string& customer_id) {
    Found found;
    {
        std::lock_guard lock(mutex_);
        const std::string key = customer_key(service, channel_customer_id);
        if (auto it = open_by_customer_.find(key); it != open_by_customer_.end()) return {sessions_.at(it->second), false};
        // A session the customer ended (or that expired) is not resumed: a new one starts, in a new conversation.
        found.record = {service,        channel_customer_id, customer_id, common::random_uuid(), common::random_uuid(),
                        true,           wall_clock_ms()};
        found.created = true;
        index_locked(found.record);
    }
    // Kept before CHANNEL_SESSION_STARTED is published: once anything of the conversation exists, so does its record.
    if (state_ != nullptr) state_->put_session(found.record);
    return found;
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
    SessionRecord before;
    SessionRecord after;
    {
        std::lock_guard lock(mutex_);
        const auto it = sessions_.find(session_id);
        if (it == sessions_.end() || !it->second.open) return std::nullopt;
        before = it->second;
        it->second.open = false;
        after = it->second;
        open_by_customer_.erase(customer_key(before.service, before.channel_customer_id));
        // The record stays: messages still arrive for a closed conversation (the survey, a late agent message).
        closed_order_.push_back(session_id);
        if (closed_order_.size() > closed_limit) {
            const std::string oldest = closed_order_.front();
            closed_order_.pop_front();
            forget_locked(oldest);  // its state goes when the runtime evicts the conversation
        }
    }
    if (state_ != nullptr) state_->put_session(after);
    return before;
}

void SessionDirectory::forget(const std::string& session_id) {
    std::string conversation_id;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = sessions_.find(session_id); it != sessions_.end()) conversation_id = it->second.conversation_id;
        forget_locked(session_id);
    }
    if (state_ != nullptr && !conversation_id.empty()) state_->erase_session(conversation_id);
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
    std::uint64_t seq = 0;
    std::optional<std::uint64_t> dropped;
    {
        std::lock_guard lock(mutex_);
        if (by_conversation_.count(conversation_id) == 0) return;  // forgotten: nothing will ask for it any more
        auto& recent = messages_[conversation_id];
        seq = recent.empty() ? 1 : recent.back().seq + 1;
        recent.push_back({seq, message_id, event_id});
        if (recent.size() > message_limit) {
            dropped = recent.front().seq;
            recent.pop_front();
        }
    }
    if (state_ == nullptr) return;
    state_->put_message(conversation_id, seq, message_id, event_id);
    if (dropped) state_->erase_message(conversation_id, *dropped);
}

std::optional<std::string> SessionDirectory::event_of_message(const std::string& conversation_id,
                                                              const std::string& message_id) const {
    std::lock_guard lock(mutex_);
    const auto it = messages_.find(conversation_id);
    if (it == messages_.end()) return std::nullopt;
    for (const auto& m : it->second) {
        if (m.message_id == message_id) return m.event_id;
    }
    return std::nullopt;
}

std::optional<std::string> SessionDirectory::message_of_event(const std::string& conversation_id,
                                                              const std::string& event_id) const {
    std::lock_guard lock(mutex_);
    const auto it = messages_.find(conversation_id);
    if (it == messages_.end()) return std::nullopt;
    for (const auto& m : it->second) {
        if (m.event_id == event_id) return m.message_id;
    }
    return std::nullopt;
}

}  // namespace cim::channel
