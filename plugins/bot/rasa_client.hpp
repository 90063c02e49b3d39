// An external bot behind the Rasa REST channel contract: POST {"sender", "message"} to the webhook, answered by
// [{"recipient_id", "text", "buttons": [{"title", "payload"}]}]. Any bot framework that speaks it can stand in.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_client.hpp"

namespace cim::bot {

struct RasaReply {
    std::string text;
    std::vector<std::pair<std::string, std::string>> buttons;  ///< (title, payload): the payload comes back as the answer
};

struct RasaAnswer {
    bool ok = false;
    bool timed_out = false;
    std::string error;
    std::vector<RasaReply> replies;
    bool hand_over = false;  ///< a reply carried `"custom": {"handover": true}`: the bot asks for an agent
};

/// Reads a Rasa REST answer body. Every field is checked, because the bot is another program and may be wrong, old or
/// hostile: an answer with any field of the wrong shape is refused as a whole (ok false, `error` naming the field),
/// never half shown. Unknown fields are ignored; a reply without text (an image) is skipped. Pure; never throws.
RasaAnswer parse_rasa_answer(std::string_view body);

class RasaClient {
public:
    RasaClient(web::EventLoop& loop, const std::string& url, std::chrono::milliseconds timeout)
        : client_(loop), url_(web::HttpUrl::parse(url)), timeout_(timeout) {}

    /// Sends the customer's `text` for conversation `sender`; `done` runs on the loop's thread. Thread-safe.
    void ask(const std::string& sender, const std::string& text, std::function<void(RasaAnswer)> done);

private:
    web::HttpClient client_;
    web::HttpUrl url_;
    std::chrono::milliseconds timeout_;
};

}  // namespace cim::bot
