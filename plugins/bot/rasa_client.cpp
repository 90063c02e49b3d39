#include "rasa_client.hpp"

#include <nlohmann/json.hpp>

namespace cim::bot {
namespace {

using nlohmann::json;

// Where a field is, for the error: "reply 1: buttons[0].payload".
std::string at(std::size_t reply, const std::string& field) { return "reply " + std::to_string(reply) + ": " + field; }

// One reply; false with `error` set when a field has the wrong shape.
bool read_reply(const json& r, std::size_t index, RasaAnswer& answer, std::string& error) {
    if (!r.is_object()) {
        error = at(index, "is not an object");
        return false;
    }
    if (const auto custom = r.find("custom"); custom != r.end() && !custom->is_null()) {
        if (!custom->is_object()) {
            error = at(index, "custom is not an object");
            return false;
        }
        // Rasa's custom payload is how a story hands the conversation to a person.
        if (const auto handover = custom->find("handover"); handover != custom->end()) {
            if (!handover->is_boolean()) {
                error = at(index, "custom.handover is not a boolean");
                return false;
            }
            answer.hand_over = answer.hand_over || handover->get<bool>();
        }
    }
    const auto text = r.find("text");
    if (text == r.end() || text->is_null()) return true;  // images etc.: not shown
    if (!text->is_string()) {
        error = at(index, "text is not a string");
        return false;
    }
    RasaReply reply{text->get<std::string>(), {}};
    if (const auto buttons = r.find("buttons"); buttons != r.end() && !buttons->is_null()) {
        if (!buttons->is_array()) {
            error = at(index, "buttons is not an array");
            return false;
        }
        for (std::size_t i = 0; i < buttons->size(); ++i) {
            const json& b = (*buttons)[i];
            const std::string where = "buttons[" + std::to_string(i) + "]";
            if (!b.is_object() || !b.contains("title") || !b["title"].is_string()) {
                error = at(index, where + ".title is not a string");
                return false;
            }
            const std::string title = b["title"].get<std::string>();
            std::string payload = title;
            if (const auto p = b.find("payload"); p != b.end() && !p->is_null()) {
                if (!p->is_string()) {
                    error = at(index, where + ".payload is not a string");
                    return false;
                }
                payload = p->get<std::string>();
            }
            reply.buttons.emplace_back(title, payload);
        }
    }
    answer.replies.push_back(std::move(reply));
    return true;
}

}  // namespace

RasaAnswer parse_rasa_answer(std::string_view body) {
    RasaAnswer answer;
    const auto replies = json::parse(body, nullptr, false);
    if (!replies.is_array()) {
        answer.error = "the bot's answer is not a JSON array";
        return answer;
    }
    for (std::size_t i = 0; i < replies.size(); ++i) {
        std::string error;
        if (!read_reply(replies[i], i, answer, error)) {
            RasaAnswer refused;
            refused.error = "the bot's answer is malformed: " + error;
            return refused;
        }
    }
    answer.ok = true;
    return answer;
}

void RasaClient::ask(const std::string& sender, const std::string& text, std::function<void(RasaAnswer)> done) {
    const std::string body = nlohmann::json{{"sender", sender}, {"message", text}}.dump();
    client_.post_json(url_, body, timeout_, [done = std::move(done)](web::HttpResult result) {
        if (!result.ok) {
            RasaAnswer answer;
            answer.timed_out = result.status == 0 && result.error.rfind("timed out", 0) == 0;
            answer.error = result.error;
            done(std::move(answer));
            return;
        }
        done(parse_rasa_answer(result.body));
    });
}

}  // namespace cim::bot
