#include "runtime/runtime_host.hpp"

namespace cim::core {

// Answered where the data lives (sessions/conversation_queries.hpp): memory for conversations in memory, the
// store's index otherwise.
nlohmann::json RuntimeHost::conversation(std::string_view conversation_id) {
    return queries_.conversation(std::string(conversation_id));
}

nlohmann::json RuntimeHost::customer_journey(std::string_view customer_id) {
    return queries_.customer_journey(std::string(customer_id));
}

nlohmann::json RuntimeHost::conversation_state(std::string_view conversation_id) {
    // From the tracker's memory: no flush, no store (abi.h, get_conversation_state).
    return sessions_ != nullptr ? sessions_->conversation_state(std::string(conversation_id)) : nlohmann::json();
}

}  // namespace cim::core
