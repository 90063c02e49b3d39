#include "service_report.hpp"

#include <algorithm>
#include <cmath>

namespace cim::cli {
namespace {

std::string string_at(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return "";
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& object_at(const nlohmann::json& object, const char* key) {
    static const nlohmann::json none;
    if (!object.is_object()) return none;
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : none;
}

double round1(double v) { return std::round(v * 10.0) / 10.0; }

nlohmann::json percent(long part, long whole) {
    if (whole <= 0) return nullptr;
    return round1(100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

nlohmann::json average_seconds(const std::vector<std::int64_t>& ms) {
    if (ms.empty()) return nullptr;
    double sum = 0;
    for (const auto v : ms) sum += static_cast<double>(v);
    return round1(sum / static_cast<double>(ms.size()) / 1000.0);
}

// Nearest rank: the smallest value that at least 90 % of the values do not exceed.
nlohmann::json p90_seconds(std::vector<std::int64_t> ms) {
    if (ms.empty()) return nullptr;
    std::sort(ms.begin(), ms.end());
    const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(ms.size())));
    return round1(static_cast<double>(ms[std::max<std::size_t>(rank, 1) - 1]) / 1000.0);
}

}  // namespace

bool ServiceReport::in_period(std::int64_t at) const {
    return (!options_.since_ms || at >= *options_.since_ms) && (!options_.until_ms || at < *options_.until_ms);
}

template <typename Fn>
void ServiceReport::each_row(const std::string& queue, const std::string& channel, const std::string& agent, Fn fn) {
    fn(overall_);
    if (!queue.empty()) fn(queues_[queue]);
    fn(channels_[channel]);
    if (!agent.empty()) fn(agents_[agent]);
}

void ServiceReport::add_event(const nlohmann::json& event) {
    if (!event.is_object()) return;
    const std::string name = string_at(event, "name");
    const std::string conversation_id = string_at(event, "conversationId");
    const std::int64_t at = event.value("timestamp", std::int64_t{0});
    const nlohmann::json data = event.value("data", nlohmann::json());
    const std::string emitter = string_at(object_at(event, "emitter"), "id");
    Conversation& c = conversations_[conversation_id];

    if (name == "CHANNEL_SESSION_STARTED") {
        if (c.channel == "UNKNOWN" && !string_at(data, "channel").empty()) c.channel = string_at(data, "channel");
    } else if (name == "TASK_ENQUEUED") {
        on_enqueued(c, conversation_id, at, data);
    } else if (name == "ACTION_MESSAGE") {
        if (string_at(data, "action") == "FIND_AGENT") on_hand_over(c, conversation_id);
    } else if (name == "AGENT_RESERVED") {
        const std::string agent = string_at(data, "agentId");
        if (!agent.empty() && in_period(at)) ++agents_[agent].offered;
    } else if (name == "AGENT_SUBSCRIBED") {
        if (!emitter.empty()) on_subscribed(c, emitter, at);
    } else if (name == "TASK_STATE_CHANGED") {
        const std::string state = string_at(data, "state");
        if (state == "CANCELED") end_wait(c, Outcome::abandoned);
        if (state == "CLOSED") end_wait(c, Outcome::timed_out);
    } else if (name == "NO_AGENT_AVAILABLE") {
        end_wait(c, Outcome::timed_out);
    } else if (name == "AGENT_MESSAGE" || name == "WRAPUP_APPLIED") {
        const auto it = c.agents.find(emitter);
        if (it == c.agents.end()) return;
        AgentSession& s = it->second;
        bool& seen = name == "AGENT_MESSAGE" ? s.responded : s.wrapped_up;
        if (seen) return;
        seen = true;
        if (!s.counted) return;
        const std::int64_t took = at - s.subscribed_at;
        each_row(s.queue, c.channel, emitter,
                 [&](Figures& f) { (name == "AGENT_MESSAGE" ? f.first_responses_ms : f.handle_ms).push_back(took); });
    } else if (name == "BOT_MESSAGE") {
        c.bot_spoke = true;
        // An answer to a customer message (not a welcome or a queue notice): one hit of the rule that gave it.
        const nlohmann::json& message = data;
        if (string_at(object_at(message, "header"), "replyToMessageId").empty() || !in_period(at)) return;
        const std::string reply = string_at(object_at(message, "body"), "markdownText");
        Rule& rule = rules_[reply];
        ++rule.hits;
        rule.conversations.insert(conversation_id);
        c.rules_hit.insert(reply);
    } else if (name == "TOPIC_STATE_CHANGED") {
        if (string_at(data, "to") != "CLOSED" || c.closed) return;
        c.closed = true;
        if (!c.bot_spoke || !in_period(at)) return;
        for (Figures* f : {&overall_, &channels_[c.channel]}) {
            ++f->bot_conversations;
            if (c.handed_over) ++f->handed_over;
            if (!c.handed_over && !c.agent_joined) ++f->contained;
        }
    } else if (const auto rating = csat_rating_of(event)) {
        if (!in_period(at)) return;
        each_row(c.queue, c.channel, "", [&](Figures& f) { f.csat.add(*rating); });
        for (const auto& agent : rating->agent_ids) agents_[agent].csat.add(*rating);
    }
}

void ServiceReport::on_enqueued(Conversation& c, const std::string& conversation_id, std::int64_t at,
                                const nlohmann::json& data) {
    on_hand_over(c, conversation_id);
    if (c.waiting) return;  // one wait per conversation at a time: a second TASK_ENQUEUED is the same contact
    Contact contact;
    contact.queue = string_at(data, "queue").empty() ? "default" : string_at(data, "queue");
    contact.channel = c.channel;
    contact.enqueued_at = at;
    contact.counted = in_period(at);
    c.queue = contact.queue;
    c.waiting = contacts_.size();
    contacts_.push_back(contact);
    if (contact.counted) each_row(contact.queue, contact.channel, "", [](Figures& f) { ++f.offered; });
}

void ServiceReport::on_subscribed(Conversation& c, const std::string& agent, std::int64_t at) {
    const bool counted = in_period(at);
    if (!c.last_agent.empty() && c.last_agent != agent && counted) {
        each_row(c.queue, c.channel, c.last_agent, [](Figures& f) { ++f.transfers; });
    }
    AgentSession session;
    session.subscribed_at = at;
    session.counted = counted;
    session.queue = c.queue;  // a transferred-in agent works the contact of the conversation's last queue
    if (c.waiting) {
        Contact& contact = contacts_[*c.waiting];
        c.waiting.reset();
        contact.outcome = Outcome::answered;
        if (contact.counted) {
            const std::int64_t wait = at - contact.enqueued_at;
            each_row(contact.queue, contact.channel, agent, [&](Figures& f) {
                ++f.answered;
                f.waits_ms.push_back(wait);
                if (wait <= options_.threshold_ms) ++f.answered_within;
            });
        }
    }
    c.agents[agent] = session;
    c.agent_joined = true;
    c.last_agent = agent;
}

void ServiceReport::on_hand_over(Conversation& c, const std::string& conversation_id) {
    c.handed_over = true;
    for (const auto& reply : c.rules_hit) rules_[reply].handed_over.insert(conversation_id);
    c.rules_hit.clear();
}

void ServiceReport::end_wait(Conversation& c, Outcome outcome) {
    if (!c.waiting) return;
    Contact& contact = contacts_[*c.waiting];
    c.waiting.reset();
    contact.outcome = outcome;
    if (!contact.counted) return;
    each_row(contact.queue, contact.channel, "",
             [&](Figures& f) { ++(outcome == Outcome::abandoned ? f.abandoned : f.timed_out); });
}

nlohmann::json ServiceReport::figures_json(const Figures& f, bool queue_figures, bool bot_figures) {
    nlohmann::json out = {
        {"offered", f.offered},
        {"answered", f.answered},
        {"avgWaitSeconds", average_seconds(f.waits_ms)},
        {"p90WaitSeconds", p90_seconds(f.waits_ms)},
        {"avgFirstResponseSeconds", average_seconds(f.first_responses_ms)},
        {"handled", static_cast<long>(f.handle_ms.size())},
        {"avgHandleSeconds", average_seconds(f.handle_ms)},
        {"transfers", f.transfers},
        {"csat", f.csat.to_json()},
    };
    const long ended = f.answered + f.abandoned + f.timed_out;
    out["abandoned"] = queue_figures ? nlohmann::json(f.abandoned) : nlohmann::json();
    out["timedOut"] = queue_figures ? nlohmann::json(f.timed_out) : nlohmann::json();
    out["waiting"] = queue_figures ? nlohmann::json(f.offered - ended) : nlohmann::json();
    out["answeredWithinThreshold"] = queue_figures ? nlohmann::json(f.answered_within) : nlohmann::json();
    out["serviceLevelPercent"] = queue_figures ? percent(f.answered_within, ended) : nlohmann::json();
    out["botConversations"] = bot_figures ? nlohmann::json(f.bot_conversations) : nlohmann::json();
    out["contained"] = bot_figures ? nlohmann::json(f.contained) : nlohmann::json();
    out["containmentPercent"] = bot_figures ? percent(f.contained, f.bot_conversations) : nlohmann::json();
    out["handedOver"] = bot_figures ? nlohmann::json(f.handed_over) : nlohmann::json();
    out["handOverPercent"] = bot_figures ? percent(f.handed_over, f.bot_conversations) : nlohmann::json();
    return out;
}

nlohmann::json ServiceReport::to_json() const {
    const auto time_or_null = [](const std::optional<std::int64_t>& t) {
        return t ? nlohmann::json(*t) : nlohmann::json();
    };
    const auto rows = [&](const std::map<std::string, Figures>& by, const char* key, bool queue_figures, bool bot) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [id, f] : by) {
            nlohmann::json row = figures_json(f, queue_figures, bot);
            row[key] = id;
            out.push_back(std::move(row));
        }
        return out;
    };
    // Rules: most hits first; ties by reply, so the order is stable.
    std::vector<std::pair<std::string, const Rule*>> ranked;
    for (const auto& [reply, rule] : rules_) ranked.emplace_back(reply, &rule);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second->hits > b.second->hits; });
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [reply, rule] : ranked) {
        const long conversations = static_cast<long>(rule->conversations.size());
        rules.push_back({{"reply", reply},
                         {"hits", rule->hits},
                         {"conversations", conversations},
                         {"handedOver", static_cast<long>(rule->handed_over.size())},
                         {"handOverPercent", percent(static_cast<long>(rule->handed_over.size()), conversations)}});
    }
    return {
        {"period", {{"since", time_or_null(options_.since_ms)}, {"until", time_or_null(options_.until_ms)}}},
        {"thresholdSeconds", round1(static_cast<double>(options_.threshold_ms) / 1000.0)},
        {"overall", figures_json(overall_, true, true)},
        {"queues", rows(queues_, "queue", true, false)},
        {"channels", rows(channels_, "channel", true, true)},
        {"agents", rows(agents_, "agentId", false, false)},
        {"bot",
         {{"conversations", overall_.bot_conversations},
          {"contained", overall_.contained},
          {"containmentPercent", percent(overall_.contained, overall_.bot_conversations)},
          {"handedOver", overall_.handed_over},
          {"handOverPercent", percent(overall_.handed_over, overall_.bot_conversations)},
          {"rules", std::move(rules)}}},
    };
}

}  // namespace cim::cli
