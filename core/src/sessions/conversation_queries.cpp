#include "sessions/conversation_queries.hpp"

#include "runtime/journal_views.hpp"

namespace cim::core {

// What was accepted before the query is appended to the journal (admission journals before it delivers); flushing
// makes the store's reader see it too. A failing store is not waited for long: the answer is then what is on disk.
constexpr auto query_flush_limit = std::chrono::seconds(1);

nlohmann::json ConversationQueries::conversation(const std::string& conversation_id) {
    if (live_ != nullptr) {
        if (auto answer = live_->live_conversation(conversation_id)) return std::move(*answer);
    }
    store_.flush(query_flush_limit);
    return conversation_from_journal(store_, options_, conversation_id);
}

nlohmann::json ConversationQueries::customer_journey(const std::string& customer_id) {
    store_.flush(query_flush_limit);
    return journey_from_journal(store_, options_, customer_id);
}

}  // namespace cim::core
