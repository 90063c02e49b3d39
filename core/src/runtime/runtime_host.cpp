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

}  // namespace cim::core
