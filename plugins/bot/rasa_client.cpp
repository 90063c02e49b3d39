#include "rasa_client.hpp"

#include <nlohmann/json.hpp>

namespace cim::bot {

void RasaClient::ask(const std::string& sender, const std::string& text, std::function<void(RasaAnswer)> done) {
    const std::string body = nlohmann::json{{"sender", sender}, {"message", text}}.dump();
    client_.post_json(url_, body, timeout_, [done = std::move(done)](web::HttpResult result) {
        RasaAnswer answer;
        if (!result.ok) {
            answer.timed_out = result.status == 0 && result.error.rfind("timed out", 0) == 0;
            answer.error = result.error;
            done(std::move(answer));
            return;
        }
        const auto replies = nlohmann::json::parse(result.body, nullptr, false);
        if (!replies.is_array()) {
            answer.error = "the bot's answer is not a JSON array";
            done(std::move(answer));
            return;
        }
        for (const auto& r : replies) {
            if (!r.is_object()) continue;
            // Rasa's custom payload is how a story hands the conversation to a person.
            if (r.contains("custom") && r["custom"].is_object()) {
                const auto& custom = r["custom"];
                if (custom.contains("handover") && custom["handover"].is_boolean() && custom["handover"].get<bool>()) {
                    answer.hand_over = true;
                }
            }
            if (!r.contains("text") || !r["text"].is_string()) continue;  // images etc.: not shown
            RasaReply reply{r["text"].get<std::string>(), {}};
            if (r.contains("buttons") && r["buttons"].is_array()) {
                for (const auto& b : r["buttons"]) {
                    if (!b.is_object() || !b.contains("title") || !b["title"].is_string()) continue;
                    const std::string title = b["title"];
                    reply.buttons.emplace_back(title, b.value("payload", title));
                }
            }
            answer.replies.push_back(std::move(reply));
        }
        answer.ok = true;
        done(std::move(answer));
    });
}

}  // namespace cim::bot
