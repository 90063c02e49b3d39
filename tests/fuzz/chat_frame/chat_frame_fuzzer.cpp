// Fuzzes the web chat's frame handling (plugins/channel/web_chat.cpp): the WebSocket route's on_message, exactly as
// the server calls it, with frames from the input, over a real CustomerIngest and SessionDirectory whose host accepts
// every event (accepting_host.hpp). What a page may send is untrusted: anyone can open /ws.
//
// Input: one frame per line, sent in order on one connection. Two lines are the harness's, not frames:
//   "close"  closes the connection (on_close) and opens a new one, as a page does when it reloads;
// and in a frame, "@token@" becomes the token of the last welcome and "@message@" the last messageId the page was
// shown, so seeds can reconnect as the same visitor and mark messages read — frames a real page sends.
//
// Bugs it reports: any exception out of on_message (the server's read loop would end without on_close, leaking the
// connection), any sanitizer finding, and a frame sent to the page that is not a JSON object with a "type".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cim/host.hpp>
#include <nlohmann/json.hpp>

#include "accepting_host.hpp"
#include "fuzz_check.hpp"
#include "web_chat.hpp"

namespace {

// A page's end of the socket: keeps what it was shown.
class PageConnection : public cim::web::WebSocketConnection {
public:
    explicit PageConnection(std::uint64_t id) : id_(id) {}

    void send(std::string text) override {
        const auto frame = nlohmann::json::parse(text, nullptr, false);
        cim::fuzz::check(frame.is_object() && frame.contains("type") && frame["type"].is_string(),
                         "every frame sent to a page is a JSON object with a type");
        if (frame["type"] == "welcome") last_token = frame.value("token", "");
        if (frame.contains("messageId") && frame["messageId"].is_string()) last_message = frame["messageId"];
    }
    void close() override { closed = true; }
    std::uint64_t id() const override { return id_; }

    std::string last_token;
    std::string last_message;
    bool closed = false;

private:
    std::uint64_t id_;
};

void replace_all(std::string& text, std::string_view placeholder, const std::string& value) {
    for (std::size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
        text.replace(at, placeholder.size(), value);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // Small limits, so eviction of visitors and trimming of history are reached within a few frames.
    cim::channel::ChannelConfig config;
    config.web_chat_service = "web";
    config.history_limit = 4;
    config.max_visitors = 2;

    cim::fuzz::AcceptingHost host_table;
    const cim::Host host(host_table.table());
    cim::channel::SessionDirectory directory;
    cim::channel::CustomerIngest ingest(host, directory);
    cim::web::EventLoop loop;  // never started: deliver() is not exercised, and on_message runs on this thread
    cim::channel::WebChat chat(config, ingest, directory, loop);
    const cim::web::WebSocketRoute route = chat.route();

    std::uint64_t next_id = 1;
    auto connection = std::make_shared<PageConnection>(next_id++);
    std::string token;
    std::string message;
    while (!input.empty()) {
        const std::size_t end = std::min(input.find('\n'), input.size());
        std::string frame(input.substr(0, end));
        input.remove_prefix(std::min(end + 1, input.size()));
        if (frame == "close" || connection->closed) {
            route.on_close(connection);
            connection = std::make_shared<PageConnection>(next_id++);
            if (frame == "close") continue;
        }
        replace_all(frame, "@token@", token);
        replace_all(frame, "@message@", message);
        route.on_message(connection, frame);
        if (!connection->last_token.empty()) token = connection->last_token;
        if (!connection->last_message.empty()) message = connection->last_message;
    }
    route.on_close(connection);
    return 0;
}
