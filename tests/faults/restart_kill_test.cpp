// A crash (SIGKILL of `cimrt run`, store.sync = "full") in the middle of a web chat and a connector conversation:
// after the next start on the same store, the page reconnecting with its token keeps its history and its
// conversation, and the connector's retry of a message from before the crash is the duplicate it is.
#include "connector_child.hpp"

#include <signal.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "../contact_center/contact_center.hpp"
#include "cim/runtime/journal_reader.hpp"
#include "temp_dir.hpp"

using cim::test::ChildProcess;
using cim::test::connector_token;
using cim::test::frame_of;
using cim::test::WsClient;
using nlohmann::json;

namespace {

const std::string webhook_secret = "acme-webhook-secret-0123456789";

std::unique_ptr<ChildProcess> start_cimrt(const std::filesystem::path& config) {
    auto child = std::make_unique<ChildProcess>(std::vector<std::string>{CIMRT_BINARY, "run", config.string()});
    if (!child->wait_for_stderr("cimrt: running", std::chrono::seconds(10))) {
        throw std::runtime_error("cimrt run did not start:\n" + child->err());
    }
    return child;
}

std::unique_ptr<WsClient> page(std::uint16_t port, const std::string& token) {
    auto client = std::make_unique<WsClient>(port, "/ws");
    client->send({{"type", "hello"}, {"token", token}, {"lastSeq", 0}});
    client->expect("welcome", frame_of("welcome"));
    return client;
}

std::function<bool(const json&)> bot_says(const std::string& text) {
    return [text](const json& f) { return f.value("type", "") == "message" && f["from"]["type"] == "BOT" && f["text"] == text; };
}

}  // namespace

TEST_CASE("after a SIGKILL with sync full the web chat page and the connector carry on in their conversations") {
    cim::test::TempDir dir("cimrt-restart-kill");
    cim::test::WebhookServer webhook(0, webhook_secret);
    const std::uint16_t port = cim::test::free_port();
    const auto config = dir.path / "runtime.toml";
    std::ofstream(config) << "[runtime]\nthreads = 2\nplugin_dir = \"" << CIMRT_PLUGIN_DIR << "\"\n"
                          << "[store]\nkind = \"sqlite\"\npath = \"" << (dir.path / "journal.db").string()
                          << "\"\nsync = \"full\"\n"
                          << "[plugins.channel]\nlisten = \"127.0.0.1:" << port << "\"\n"
                          << "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" << connector_token
                          << "\"\nwebhook = \"http://127.0.0.1:" << webhook.port() << "/cim\"\nwebhook_secret = \""
                          << webhook_secret << "\"\n"
                          << "[plugins.bot]\n";

    auto child = start_cimrt(config);
    auto before = page(port, "");
    const std::string token = before->frames().front()["token"];
    const std::string customer_id = before->frames().front()["customerId"];
    before->send({{"type", "message"}, {"text", "hello"}});
    before->expect("the bot's answer", bot_says("Hello! How can I help you today?"));
    std::vector<json> history;
    for (const auto& f : before->frames()) {
        if (f.contains("seq")) history.push_back(f);
    }
    const auto posted = cim::test::http_request(
        port, "POST", "/cim-messages",
        json{{"id", "m1"},
             {"header", {{"channelData", {{"channelCustomerIdentifier", "+4300"}, {"serviceIdentifier", "acme"}}}}},
             {"body", {{"type", "PLAIN"}, {"markdownText", "hello"}}}}
            .dump(),
        connector_token);
    REQUIRE(posted.status == 202);
    webhook.expect("the bot's answer to the connector", [](const json& b) {
        return b["body"].value("markdownText", "") == "Hello! How can I help you today?";
    });

    child->send_signal(SIGKILL);
    REQUIRE(child->wait(std::chrono::seconds(10)).value_or(-1) == 128 + SIGKILL);
    before.reset();
    child = start_cimrt(config);

    auto after = page(port, token);
    CHECK(after->frames().front()["token"] == token);
    for (const auto& item : history) {
        CHECK(after->expect("item " + item["seq"].dump(), [&](const json& f) { return f.value("seq", 0) == item["seq"]; }) ==
              item);
    }
    after->send({{"type", "message"}, {"text", "when are you open?"}});
    after->expect("the bot's answer after the crash", bot_says("We are open Monday to Friday, 9:00 to 17:00."));

    const auto retried = cim::test::http_request(
        port, "POST", "/cim-messages",
        json{{"id", "m1"},
             {"header", {{"channelData", {{"channelCustomerIdentifier", "+4300"}, {"serviceIdentifier", "acme"}}}}},
             {"body", {{"type", "PLAIN"}, {"markdownText", "hello"}}}}
            .dump(),
        connector_token);
    REQUIRE(retried.status == 202);
    CHECK(retried.json()["conversationId"] == posted.json()["conversationId"]);
    CHECK(retried.json()["eventId"] == posted.json()["eventId"]);

    after.reset();
    child->send_signal(SIGTERM);
    REQUIRE(child->wait(std::chrono::seconds(10)).value_or(-1) == 0);

    // The journal: every message of the web chat customer in one conversation, the connector's m1 once.
    std::set<std::string> web_conversations;
    std::size_t m1 = 0;
    auto reader = cim::runtime::JournalReader::open(config);
    reader->journal({}, [&](const std::string& line) {
        const auto event = json::parse(line);
        if (event.value("name", "") != "CUSTOMER_MESSAGE") return;
        if (event.value("customerId", "") == customer_id) web_conversations.insert(event.value("conversationId", ""));
        if (event.value("id", "") == "acme:m1") ++m1;
    });
    CHECK(web_conversations.size() == 1);
    CHECK(m1 == 1);
}
