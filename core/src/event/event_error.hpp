// The one error type for a rejected event, whatever the source (wire JSON, a plugin's publish, the CLI).
#pragma once

#include <stdexcept>
#include <string>

namespace cim::core {

/// An event broke a rule. `field()` names the offending field ("conversationId", "emitter.type", "data", ...) or is
/// empty when the input as a whole is at fault (malformed JSON); what() is the full message, starting with the field.
class EventError : public std::runtime_error {
public:
    EventError(std::string field, const std::string& message)
        : std::runtime_error(field.empty() ? message : field + ": " + message), field_(std::move(field)) {}
    const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

}  // namespace cim::core
