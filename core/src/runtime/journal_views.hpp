// Conversations and journeys rebuilt from a store's journal: shared by the live runtime (plugin queries, the
// embedding API) and by JournalReader (the CLI, with the runtime stopped), so both give the same answer.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sessions/session_tracker.hpp"
#include "store/store.hpp"

namespace cim::core {

/// The conversation view (ConversationViews::conversation) from `store`'s journal, or null when unknown.
nlohmann::json conversation_from_journal(Store& store, const TrackerOptions& options, const std::string& id);
/// The customer's journey (ConversationViews::customer) from `store`'s whole journal.
nlohmann::json journey_from_journal(Store& store, const TrackerOptions& options, const std::string& customer_id);

}  // namespace cim::core
