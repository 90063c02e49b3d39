// An external bot behind the Rasa REST channel contract: POST {"sender", "message"} to the webhook, answered by
// [{"recipient_id", "text", "buttons": [{"title", "payload"}]}]. Any bot framework that speaks it can stand in.
#pragma once

#include <chrono>
#include <functional>
#include <string>
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
