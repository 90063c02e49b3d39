// What the agent desk shows of a conversation: entries built from live events and from the runtime's conversation
// view (the transcript an agent sees when a conversation is offered). One shape for both, documented in README.md.
#pragma once

#include <optional>

#include <cim/event.hpp>
#include <nlohmann/json.hpp>

namespace cim::agent {

/// The entry for a live event, or nothing when the desk does not show it.
std::optional<nlohmann::json> entry_of(const cim::Event& event);

/// The entries of a conversation view (`host().conversation(id)`): messages, survey questions and their updates.
nlohmann::json transcript_of(const nlohmann::json& conversation);

/// An entry for something the agent plugin itself did or saw (a status line).
nlohmann::json status_entry(const std::string& text, std::int64_t timestamp_ms);

}  // namespace cim::agent
