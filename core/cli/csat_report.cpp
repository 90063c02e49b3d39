#include "csat_report.hpp"

#include <cmath>

namespace cim::cli {

std::optional<CsatRating> csat_rating_of(const nlohmann::json& event) {
    if (!event.is_object() || event.value("name", "") != "THIRD_PARTY_ACTIVITY") return std::nullopt;
    const auto data = event.value("data", nlohmann::json());
    if (!data.is_object() || data.value("kind", "") != "CSAT") return std::nullopt;
    if (!data.contains("score") || !data["score"].is_number_integer()) return std::nullopt;
    if (!data.contains("scale") || !data["scale"].is_number_integer()) return std::nullopt;
    CsatRating rating;
    rating.score = data["score"];
    rating.scale = data["scale"];
    if (rating.scale < 2 || rating.score < 1 || rating.score > rating.scale) return std::nullopt;  // not a rating
    for (const auto& agent : data.value("agentIds", nlohmann::json::array())) {
        if (agent.is_string()) rating.agent_ids.push_back(agent.get<std::string>());
    }
    return rating;
}

void CsatTally::add(const CsatRating& rating) {
    ++responses_;
    score_sum_ += rating.score;
    // Top-two-box on scales of 3 and more ("4" and "5" of 5); on a 2-point scale, the better answer.
    const long satisfied_from = rating.scale >= 3 ? rating.scale - 1 : rating.scale;
    if (rating.score >= satisfied_from) ++satisfied_;
}

nlohmann::json CsatTally::to_json() const {
    if (responses_ == 0) return {{"responses", 0}, {"average", nullptr}, {"csatPercent", nullptr}};
    const auto round1 = [](double v) { return std::round(v * 10.0) / 10.0; };
    return {{"responses", responses_},
            {"average", round1(static_cast<double>(score_sum_) / static_cast<double>(responses_))},
            {"csatPercent", round1(100.0 * static_cast<double>(satisfied_) / static_cast<double>(responses_))}};
}

void CsatReport::add_journal_line(const std::string& line) {
    const auto rating = csat_rating_of(nlohmann::json::parse(line, nullptr, false));
    if (!rating) return;
    overall_.add(*rating);
    for (const auto& agent : rating->agent_ids) agents_[agent].add(*rating);
}

nlohmann::json CsatReport::to_json() const {
    nlohmann::json agents = nlohmann::json::array();
    for (const auto& [id, tally] : agents_) {
        nlohmann::json row = tally.to_json();
        row["agentId"] = id;
        agents.push_back(std::move(row));
    }
    return {{"overall", overall_.to_json()}, {"agents", std::move(agents)}};
}

}  // namespace cim::cli
