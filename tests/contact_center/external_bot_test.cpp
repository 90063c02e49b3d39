// The bot plugin against an external bot (a fake Rasa on loopback) that answers nonsense: the runtime must keep
// serving, and the customer be taken over as when the bot is down.
#include "contact_center.hpp"

#include <map>

#include <catch2/catch.hpp>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::eventually;
using cim::test::http_request;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("a Rasa reply of the wrong shape is BOT_NOT_AVAILABLE with the reason, and the runtime keeps serving") {
    // The fake bot answers each customer text with the body of that name.
    const std::map<std::string, std::string> bodies = {
        {"payload", R"([{"text": "pick", "buttons": [{"title": "a", "payload": 1}]}])"},
        {"text", R"([{"text": 5}])"},
        {"title", R"([{"text": "pick", "buttons": [{"title": null}]}])"},
        {"buttons", R"([{"text": "pick", "buttons": {"title": "a"}}])"},
        {"custom", R"([{"custom": "handover"}])"},
        {"handover", R"([{"custom": {"handover": "yes"}}])"},
        {"object", R"({"text": "not an array"})"},
        {"reply", R"([1])"},
        {"good", R"([{"text": "fine, thanks"}])"},
    };
    cim::web::EventLoop loop;
    cim::web::HttpServer rasa(loop, {"127.0.0.1", 0}, [&](const cim::web::HttpRequest& request) {
        const json asked = json::parse(request.body, nullptr, false);
        const auto it = bodies.find(asked.value("message", ""));
        return cim::web::HttpResponse::json(200, it == bodies.end() ? "[]" : it->second);
    }, {});
    loop.start();
    rasa.start();
    ContactCenterSetup setup;
    setup.bot_options = "rasa_url = \"http://127.0.0.1:" + std::to_string(rasa.port()) + "/webhooks/rest/webhook\"\n";
    ContactCenter cc(setup);

    std::size_t refused = 0;
    for (const auto& [text, body] : bodies) {
        if (text == "good") continue;
        INFO(body);
        auto page = cc.customer();
        page->send({{"type", "message"}, {"text", text}});
        ++refused;
        REQUIRE(eventually([&] { return cc.recorder->count("BOT_NOT_AVAILABLE") == refused; }));
        // Nothing of a refused answer reaches the customer.
        CHECK_FALSE(page->receives_within([](const json& f) { return f.value("text", "") == "pick"; }, 50ms));
    }
    const json last = cc.recorder->expect("BOT_NOT_AVAILABLE");
    CHECK_THAT(last["data"]["reason"].get<std::string>(), Catch::StartsWith("the bot's answer is"));
    // Still serving: the health check, and a good answer that reaches the page.
    CHECK(http_request(cc.channel_port, "GET", "/healthz").status == 200);
    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "good"}});
    page->expect("the good answer", [](const json& f) { return f.value("text", "") == "fine, thanks"; });
    rasa.stop();
    loop.stop();
}
