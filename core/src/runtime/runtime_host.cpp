#include "runtime/runtime_host.hpp"

#include "runtime/journal_views.hpp"

namespace cim::core {

// Every event accepted before the query has been appended to the journal (admission journals before it delivers);
// flushing makes the store's reader see them too. A failing store is not waited for long: the answer is then what
// is on disk.
constexpr auto query_flush_limit = std::chrono::seconds(1);
nlohmann::json RuntimeHost::conversation(std::string_view conversation_id) {
    store_.flush(query_flush_limit);
    return conversation_from_journal(store_, options_, std::string(conversation_id));
}

nlohmann::json RuntimeHost::customer_journey(std::string_view customer_id) {
    store_.flush(query_flush_limit);
    return journey_from_journal(store_, options_, std::string(customer_id));
}

nlohmann::json RuntimeHost::conversation_state(std::string_view conversation_id) {
    // From the tracker's memory: no flush, no store (abi.h, get_conversation_state).
    return sessions_ != nullptr ? sessions_->conversation_state(std::string(conversation_id)) : nlohmann::json();
}

}  // namespace cim::core
