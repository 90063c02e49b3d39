#include "csat_report.hpp"

#include <cmath>

namespace cim::cli {

void CsatReport::add_journal_line(const std::string& line) {
    const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object() || event.value("name", "") != "THIRD_PARTY_ACTIVITY") return;
    const auto data = event.value("data", nlohmann::json());
    if (!data.is_object() || data.value("kind", "") != "CSAT") return;
    if (!data.contains("score") || !data["score"].is_number_integer()) return;
    if (!data.contains("scale") || !data["scale"].is_number_integer()) return;
    const long score = data["score"];
    const long scale = data["scale"];
    if (scale < 2 || score < 1 || score > scale) return;  // not a rating this report can read
    count(overall_, score, scale);
    for (const auto& agent : data.value("agentIds", nlohmann::json::array())) {
        if (agent.is_string()) count(agents_[agent.get<std::string>()], score, scale);
    }
}

void CsatReport::count(Tally& tally, long score, long scale) {
    ++tally.responses;
    tally.score_sum += score;
    // Top-two-box on scales of 3 and more ("4" and "5" of 5); on a 2-point scale, the better answer.
    const long satisfied_from = scale >= 3 ? scale - 1 : scale;
    if (score >= satisfied_from) ++tally.satisfied;
}

nlohmann::json CsatReport::score_json(const Tally& tally) {
    if (tally.responses == 0) return {{"responses", 0}, {"average", nullptr}, {"csatPercent", nullptr}};
    const auto round1 = [](double v) { return std::round(v * 10.0) / 10.0; };
    return {{"responses", tally.responses},
            {"average", round1(static_cast<double>(tally.score_sum) / static_cast<double>(tally.responses))},
            {"csatPercent", round1(100.0 * static_cast<double>(tally.satisfied) / static_cast<double>(tally.responses))}};
}

nlohmann::json CsatReport::to_json() const {
    nlohmann::json agents = nlohmann::json::array();
    for (const auto& [id, tally] : agents_) {
        nlohmann::json row = score_json(tally);
        row["agentId"] = id;
        agents.push_back(std::move(row));
    }
    return {{"overall", score_json(overall_)}, {"agents", std::move(agents)}};
}

}  // namespace cim::cli
