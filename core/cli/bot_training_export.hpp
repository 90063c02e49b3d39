// Bot training data from the journal (`cimrt export bot-training`): each customer message the bot answered, with the
// bot's reply and the flags a bot trainer or supervisor put on either (`ACTIVITY_REACTION` with `data.flag`), as
// plain JSON lines or as Rasa NLU training data. The flag → intent mapping is documented in docs/bot-training.md.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace cim::cli {

/// Accumulates examples from journal events (in journal order). Not thread-safe; O(customer messages) memory.
class BotTrainingExport {
public:
    /// Only customer messages stamped at or after `since_ms` become examples (flags on them may come later).
    explicit BotTrainingExport(std::optional<std::int64_t> since_ms) : since_ms_(since_ms) {}

    /// Feeds one journal event in its wire form; events the export has no use for are skipped.
    void add_event(const nlohmann::json& event);

    /// One JSON object per line: every customer message the bot answered or someone flagged, in journal order —
    /// {conversationId, messageId, timestamp, text, botReply, botMessageId, flags: [{flag, intent?, by, byType, on,
    /// timestamp}], labels: [...]}.
    void write_jsonl(std::ostream& out) const;
    /// Rasa NLU training data (YAML, `version: "3.1"`): the flagged examples under their labels, labels in name order.
    void write_rasa(std::ostream& out) const;

    /// Examples written by write_jsonl / flagged examples (those in write_rasa).
    std::size_t examples() const;
    std::size_t flagged() const;
    /// Flags whose `refersTo` is no customer or bot message in the journal (they are left out).
    std::size_t unmatched_flags() const { return unmatched_flags_; }

    /// The intent a flag files its example under: the reaction's `data.intent` when it gives one (the trainer's
    /// correction), else "flag_" + the flag; lower-case, anything but [a-z0-9_] becomes '_'.
    static std::string label_of(const std::string& flag, const std::string& intent);

private:
    struct Flag {
        std::string flag;
        std::string intent;  // the trainer's correction, if given
        std::string by;
        std::string by_type;
        std::string on;  // "CUSTOMER_MESSAGE" or "BOT_MESSAGE"
        std::int64_t at = 0;
    };
    struct Example {
        std::string conversation_id;
        std::string event_id;
        std::int64_t at = 0;
        std::string text;
        std::optional<std::string> bot_reply;
        std::string bot_event_id;
        std::vector<Flag> flags;
    };
    // Which example an event or message id names, and whether as the customer's message or the bot's reply.
    struct Target {
        std::size_t example = 0;
        bool bot = false;
    };

    std::vector<std::string> labels_of(const Example& e) const;
    bool wanted(const Example& e) const { return e.bot_reply || !e.flags.empty(); }

    std::optional<std::int64_t> since_ms_;
    std::vector<Example> examples_;
    std::map<std::string, Target> by_event_id_;
    std::map<std::pair<std::string, std::string>, Target> by_message_id_;  // (conversation, CIM message id)
    std::size_t unmatched_flags_ = 0;
};

}  // namespace cim::cli
