// Reading a runtime's store without running it: `cimrt inspect` and `cimrt journal`, or an embedder's back office.
//
// The journal is the source of truth; a conversation or a customer's journey is rebuilt by replaying its events
// through the same session tracker the runtime uses, so what you inspect is what the runtime tracked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cim::runtime {

/// Which journal entries to read.
struct JournalQuery {
    std::optional<std::string> conversation_id;  ///< only this conversation's events
    std::optional<std::int64_t> since_ms;        ///< only events stamped at or after this time (ms since epoch)
};

class JournalReader {
public:
    /// Opens the store `config_file` configures (read-only for SQLite). Throws Error (kind config).
    static std::unique_ptr<JournalReader> open(const std::filesystem::path& config_file);
    virtual ~JournalReader() = default;

    /// The conversation: {id, state, customerId, channelSessions[{id, state, interactive}],
    /// participants[{id, type, role, active}], activities[{id, name, timestamp, emitter, data, updates[...]}],
    /// unresolvedUpdates[...]} — or null when the journal has no such conversation.
    virtual nlohmann::json conversation(const std::string& conversation_id) const = 0;
    /// The customer's journey: {customerId, activities[{id, name, conversationId, timestamp, emitter, data,
    /// updates[]}]} in time order, across channels and conversations; activities is empty for an unknown customer.
    virtual nlohmann::json customer(const std::string& customer_id) const = 0;
    /// Calls `line` with each matching journal event in its JSON wire form, in journal order — lines that
    /// `cimrt publish` can replay into an empty store.
    virtual void journal(const JournalQuery& query, const std::function<void(const std::string& line)>& line) const = 0;
};

}  // namespace cim::runtime
