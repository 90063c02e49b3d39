// CSAT from the journal: the survey results (THIRD_PARTY_ACTIVITY events with data.kind "CSAT", as the in-tree
// survey plugin and any survey application following its convention publish them) per agent and overall.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace cim::cli {

/// Accumulates CSAT activities; feed it journal lines in their wire form.
class CsatReport {
public:
    /// Counts the line if it is a CSAT activity; anything else (or malformed) is skipped.
    void add_journal_line(const std::string& line);

    /// {"overall": Score, "agents": [{"agentId", ...Score}]} with Score = {"responses", "average", "csatPercent"};
    /// csatPercent is the share of answers in the top two options of the scale (the usual "top-two-box").
    nlohmann::json to_json() const;

private:
    struct Tally {
        long responses = 0;
        long score_sum = 0;
        long satisfied = 0;
    };
    static void count(Tally& tally, long score, long scale);
    static nlohmann::json score_json(const Tally& tally);

    Tally overall_;
    std::map<std::string, Tally> agents_;
};

}  // namespace cim::cli
