// Service levels from the journal (`cimrt report`): per queue, channel and agent — offered, answered, abandoned,
// service level, wait, first response, handle time, transfers, bot containment, CSAT — and per bot rule its hits and
// hand-over rate. Every figure is defined in docs/reports.md; this file is those definitions in code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "csat_report.hpp"

namespace cim::cli {

/// What the report counts: the period (each fact by the time of the event that anchors it, docs/reports.md) and the
/// service-level threshold.
struct ServiceReportOptions {
    std::optional<std::int64_t> since_ms;  ///< count facts anchored at or after this time
    std::optional<std::int64_t> until_ms;  ///< count facts anchored before this time
    std::int64_t threshold_ms = 20'000;    ///< a contact answered within this wait counts towards the service level
};

/// Replays journal events (in journal order) and accumulates the figures. Not thread-safe; O(1) per event plus
/// O(contacts) memory, so one pass over the whole journal.
class ServiceReport {
public:
    explicit ServiceReport(ServiceReportOptions options) : options_(options) {}

    /// Feeds one journal event in its wire form (an object); events the report has no use for are skipped.
    void add_event(const nlohmann::json& event);

    /// {"period", "thresholdSeconds", "overall": Figures, "queues": [{"queue", ...}], "channels": [{"channel", ...}],
    /// "agents": [{"agentId", ...}], "bot": {..., "rules": [...]}} — the shape is documented in docs/reports.md.
    /// Contacts still waiting at the end of the journal count as `waiting`.
    nlohmann::json to_json() const;

private:
    // The figures of one row; a figure that does not apply to a kind of row is left out of its JSON as null.
    struct Figures {
        long offered = 0;
        long answered = 0;
        long abandoned = 0;
        long timed_out = 0;
        long answered_within = 0;
        std::vector<std::int64_t> waits_ms;  // of the answered contacts
        std::vector<std::int64_t> first_responses_ms;
        std::vector<std::int64_t> handle_ms;
        long transfers = 0;
        long bot_conversations = 0;
        long contained = 0;
        long handed_over = 0;
        CsatTally csat;
    };
    enum class Outcome { waiting, answered, abandoned, timed_out };
    struct Contact {
        std::string queue;
        std::string channel;
        std::int64_t enqueued_at = 0;
        bool counted = false;  // enqueued within the period
        Outcome outcome = Outcome::waiting;
    };
    struct AgentSession {
        std::int64_t subscribed_at = 0;
        bool counted = false;  // subscribed within the period
        bool responded = false;
        bool wrapped_up = false;
        std::string queue;  // of the conversation's last contact, if it had one
    };
    struct Conversation {
        std::string channel = "UNKNOWN";
        std::string queue;                   // of the last contact, for facts that follow it (CSAT, handle time)
        std::optional<std::size_t> waiting;  // index into contacts_ of the contact still waiting
        std::map<std::string, AgentSession> agents;  // by agent id, the current (or last) session
        std::string last_agent;                      // who joined last: a different agent joining is a transfer
        bool bot_spoke = false;
        bool agent_joined = false;
        bool handed_over = false;
        bool closed = false;
        std::set<std::string> rules_hit;  // bot replies given here, not yet followed by a hand-over
    };
    struct Rule {
        long hits = 0;
        std::set<std::string> conversations;  // where it answered
        std::set<std::string> handed_over;    // of those, handed over to an agent after it answered
    };

    bool in_period(std::int64_t at) const;
    void on_enqueued(Conversation& c, const std::string& conversation_id, std::int64_t at, const nlohmann::json& data);
    void on_subscribed(Conversation& c, const std::string& agent, std::int64_t at);
    void on_hand_over(Conversation& c, const std::string& conversation_id);
    void end_wait(Conversation& c, Outcome outcome);
    // Applies `fn` to the overall figures and to the rows of the queue, channel and (optionally) agent.
    template <typename Fn>
    void each_row(const std::string& queue, const std::string& channel, const std::string& agent, Fn fn);

    static nlohmann::json figures_json(const Figures& f, bool queue_figures, bool bot_figures);

    ServiceReportOptions options_;
    std::map<std::string, Conversation> conversations_;
    std::vector<Contact> contacts_;
    Figures overall_;
    std::map<std::string, Figures> queues_;
    std::map<std::string, Figures> channels_;
    std::map<std::string, Figures> agents_;
    std::map<std::string, Rule> rules_;  // by the bot's reply text
};

}  // namespace cim::cli
