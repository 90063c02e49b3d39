// CSAT from the journal: the survey results (THIRD_PARTY_ACTIVITY events with data.kind "CSAT", as the in-tree
// survey plugin and any survey application following its convention publish them) per agent and overall.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cim::cli {

/// One survey answer: `score` on a scale of 1..`scale`, about the agents in `agent_ids`.
struct CsatRating {
    long score = 0;
    long scale = 0;
    std::vector<std::string> agent_ids;
};

/// The rating an event carries, if it is a CSAT activity this report can read; nullopt for anything else.
std::optional<CsatRating> csat_rating_of(const nlohmann::json& event);

/// The tally of a set of ratings: responses, average and top-two-box share. Shared by `inspect csat` and `report`.
class CsatTally {
public:
    void add(const CsatRating& rating);
    /// {"responses", "average", "csatPercent"}; csatPercent is the share of answers in the top two options of the
    /// scale (the usual "top-two-box"); average and csatPercent are null without responses.
    nlohmann::json to_json() const;

private:
    long responses_ = 0;
    long score_sum_ = 0;
    long satisfied_ = 0;
};

/// Accumulates CSAT activities; feed it journal lines in their wire form.
class CsatReport {
public:
    /// Counts the line if it is a CSAT activity; anything else (or malformed) is skipped.
    void add_journal_line(const std::string& line);

    /// {"overall": Score, "agents": [{"agentId", ...Score}]} with Score = CsatTally::to_json().
    nlohmann::json to_json() const;

private:
    CsatTally overall_;
    std::map<std::string, CsatTally> agents_;
};

}  // namespace cim::cli
