#include "runtime/journal_views.hpp"

#include "sessions/conversation_view.hpp"

namespace cim::core {

nlohmann::json conversation_from_journal(Store& store, const TrackerOptions& options, const std::string& id) {
    ConversationViews views(options);
    JournalFilter filter;
    filter.conversation_id = id;
    store.read_journal(filter, [&](const Event& e) { views.add(e); });
    return views.conversation(id);
}

nlohmann::json journey_from_journal(Store& store, const TrackerOptions& options, const std::string& customer_id) {
    // A journey follows conversations, not the customerId stamped on each event (ASSOCIATED_CUSTOMER_CHANGED moves
    // earlier activities too), so it needs the whole journal.
    ConversationViews views(options);
    store.read_journal({}, [&](const Event& e) { views.add(e); });
    return views.customer(customer_id);
}

}  // namespace cim::core
