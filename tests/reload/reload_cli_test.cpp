// Hot reload of a real `cimrt run` (a child process) with the four real plugins, while customers and agents are
// connected over web chat and desk WebSockets: SIGHUP changes the bot's rules and turns the survey off and on again
// without dropping a socket; `cimrt reload` of a typo exits 2 naming line and column and changes nothing; a plugin
// that cannot start rolls back; and check, plugins and graph run beside it without touching its store.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <unistd.h>

#include "../cli/run_process.hpp"
#include "../contact_center/contact_center.hpp"
#include "../contact_center/web_clients.hpp"
#include "../faults/temp_dir.hpp"

namespace fs = std::filesystem;
using cim::test::ChildProcess;
using cim::test::frame_of;
using cim::test::run_process;
using cim::test::WsClient;
using nlohmann::json;

namespace {

const std::string cimrt = CIMRT_BINARY;

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

struct Ports {
    std::uint16_t channel = cim::test::free_port();
    std::uint16_t agent = cim::test::free_port();
};

// The contact center's runtime.toml; `bot` and `survey` are the bodies of their tables.
std::string contact_center_toml(const Ports& ports, const std::string& agents, const std::string& bot,
                                const std::string& survey) {
    return std::string("[runtime]\nthreads = 2\nplugin_dir = \"") + CIMRT_PLUGIN_DIR + "\"\n" +
           "[store]\nkind = \"sqlite\"\npath = \"var/journal.db\"\n" +
           "[plugins.channel]\nlisten = \"127.0.0.1:" + std::to_string(ports.channel) + "\"\n" +
           "[plugins.agent]\nlisten = \"127.0.0.1:" + std::to_string(ports.agent) + "\"\n" +
           "accept_timeout = \"5m\"\nqueue_timeout = \"10m\"\n" + agents + "[plugins.survey]\n" + survey +
           "[plugins.bot]\n" + bot;
}

std::string agents_toml() {
    const std::string hash = cim::test::password_hash("secret");
    return "[[plugins.agent.agents]]\nid = \"alice\"\nname = \"Alice\"\ncapacity = 1\npassword_hash = \"" + hash +
           "\"\n[[plugins.agent.agents]]\nid = \"bob\"\nname = \"Bob\"\ncapacity = 1\npassword_hash = \"" + hash + "\"\n";
}

// The bot's rules after the change: what it answers about opening hours is new.
const std::string new_rules = R"([[plugins.bot.rules]]
match = '\b(agent|human)\b'
reply = "Let me find an agent for you."
action = "agent"
[[plugins.bot.rules]]
match = '\bhours\b'
reply = "We are open around the clock now."
[[plugins.bot.rules]]
match = '\b(hi|hello)\b'
reply = "Hello! How can I help you today?"
)";

std::unique_ptr<WsClient> customer(std::uint16_t port) {
    auto page = std::make_unique<WsClient>(port, "/ws");
    page->send({{"type", "hello"}, {"token", ""}, {"lastSeq", 0}});
    page->expect("welcome", frame_of("welcome"));
    return page;
}

std::unique_ptr<WsClient> desk(std::uint16_t port, const std::string& agent) {
    auto client = std::make_unique<WsClient>(port, "/agent/ws");
    client->send({{"type", "login"}, {"agentId", agent}, {"password", "secret"}});
    client->expect("welcome of " + agent, frame_of("welcome"));
    return client;
}

std::function<bool(const json&)> message_from(const std::string& type, const std::string& text) {
    return [type, text](const json& f) {
        return f.value("type", "") == "message" && f["from"].value("type", "") == type && f.value("text", "") == text;
    };
}

std::function<bool(const json&)> desk_message(const std::string& text) {
    return [text](const json& f) {
        return f.value("type", "") == "event" && f["entry"].value("kind", "") == "message" &&
               f["entry"].value("text", "") == text;
    };
}

bool is_survey(const json& f) {
    return f.value("type", "") == "message" && f["from"].value("type", "") == "APP" && f.value("buttons", json::array()).size() == 5;
}

// A customer who asks for an agent; returns the conversation id from the offer `agent_desk` receives.
std::string ask_for_agent(WsClient& page, WsClient& agent_desk) {
    page.send({{"type", "message"}, {"text", "I want an agent"}});
    const json offer = agent_desk.expect("an offer", frame_of("offer"));
    return offer["conversationId"];
}

}  // namespace

TEST_CASE("SIGHUP changes the bot's rules and toggles the survey while chats and desks stay connected", "[reload]") {
    cim::test::TempDir dir("cimrt-reload-cc");
    const Ports ports;
    const std::string agents = agents_toml();
    const fs::path config = dir.path / "runtime.toml";
    write_file(config, contact_center_toml(ports, agents, "", ""));
    ChildProcess run({cimrt, "run", config.string()}, dir.path);
    REQUIRE(run.wait_for_stderr("cimrt: running", std::chrono::seconds(10)));

    // Three live conversations: A talks to alice, B waits on an offer to bob, C talks to the bot.
    auto alice = desk(ports.agent, "alice");
    auto page_a = customer(ports.channel);
    const std::string conversation_a = ask_for_agent(*page_a, *alice);
    alice->send({{"type", "accept"}, {"conversationId", conversation_a}});
    alice->expect("the assignment", frame_of("assigned", conversation_a));
    auto bob = desk(ports.agent, "bob");
    auto page_b = customer(ports.channel);
    const std::string conversation_b = ask_for_agent(*page_b, *bob);  // bob leaves it pending
    auto page_c = customer(ports.channel);
    page_c->send({{"type", "message"}, {"text", "what are your hours?"}});
    page_c->expect("the old rule's answer",
                   message_from("BOT", "We are open Monday to Friday, 9:00 to 17:00."));

    // New bot rules, survey off.
    write_file(config, contact_center_toml(ports, agents, new_rules, "enabled = false\n"));
    run.send_signal(SIGHUP);
    REQUIRE(run.wait_for_stderr("stopped survey; restarted bot; 2 unchanged", std::chrono::seconds(10)));

    // Every socket is the one from before, and works: the bot answers C by the new rule...
    page_c->send({{"type", "message"}, {"text", "and your hours now?"}});
    page_c->expect("the new rule's answer", message_from("BOT", "We are open around the clock now."));
    // ... A and alice still talk ...
    page_a->send({{"type", "message"}, {"text", "still there?"}});
    alice->expect("A's message on the same desk socket", desk_message("still there?"));
    alice->send({{"type", "message"}, {"conversationId", conversation_a}, {"text", "yes, still here"}});
    page_a->expect("alice's answer on the same page socket", message_from("AGENT", "yes, still here"));
    // ... and with the survey off, alice leaving asks A nothing.
    alice->send({{"type", "leave"}, {"conversationId", conversation_a}});
    alice->expect("A closed on the desk", frame_of("closed", conversation_a));
    CHECK_FALSE(page_a->receives_within(is_survey, std::chrono::milliseconds(1500)));

    // Survey on again; bob's offer for B has waited through both reloads.
    write_file(config, contact_center_toml(ports, agents, new_rules, ""));
    run.send_signal(SIGHUP);
    REQUIRE(run.wait_for_stderr("started survey; 3 unchanged", std::chrono::seconds(10)));
    bob->send({{"type", "accept"}, {"conversationId", conversation_b}});
    bob->expect("the assignment of the offer made before the reloads", frame_of("assigned", conversation_b));
    page_b->expect("bob joined", [](const json& f) {
        return f.value("type", "") == "status" && f.value("text", "") == "Bob joined the conversation";
    });
    bob->send({{"type", "leave"}, {"conversationId", conversation_b}});
    page_b->expect("the survey, on again", is_survey);

    // check, plugins and graph read the file beside the running runtime, never taking its store.
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{cimrt, "check", config.string()}, {cimrt, "plugins", config.string()},
          {cimrt, "graph", config.string()}}) {
        const auto result = run_process(command, "", std::chrono::seconds(30), dir.path);
        INFO(command[1] << ": " << result.err);
        CHECK(result.exit_code == 0);
        CHECK_THAT(result.err, !Catch::Contains("owned by another"));
    }

    // A typo: `cimrt reload` exits 2 naming line and column; nothing changes.
    write_file(config, contact_center_toml(ports, agents, new_rules, "") + "[[plugins.bot.rules]\n");
    const int typo_line = static_cast<int>(std::count(std::istreambuf_iterator<char>(std::ifstream(config).rdbuf()),
                                                      std::istreambuf_iterator<char>(), '\n'));
    const auto typo = run_process({cimrt, "reload", config.string()}, "", std::chrono::seconds(30), dir.path);
    CHECK(typo.exit_code == 2);
    CHECK_THAT(typo.err, Catch::Contains("runtime.toml:" + std::to_string(typo_line) + ":"));
    CHECK_THAT(typo.err, Catch::Contains("nothing was reloaded"));
    CHECK(run.wait_for_stderr("refused, nothing changed", std::chrono::seconds(5)));  // logged by the runtime too
    page_c->send({{"type", "message"}, {"text", "hours?"}});
    page_c->expect("the new rule, still", message_from("BOT", "We are open around the clock now."));

    run.send_signal(SIGTERM);
    CHECK(run.wait(std::chrono::seconds(15)) == 0);
}

TEST_CASE("cimrt reload of a channel that cannot start on its new port rolls back to the old one and exits 3", "[reload]") {
    cim::test::TempDir dir("cimrt-reload-rollback");
    const std::uint16_t port = cim::test::free_port();
    const fs::path config = dir.path / "runtime.toml";
    auto toml = [&](std::uint16_t listen) {
        return std::string("[runtime]\nplugin_dir = \"") + CIMRT_PLUGIN_DIR + "\"\n[store]\nkind = \"memory\"\n" +
               "[plugins.channel]\nlisten = \"127.0.0.1:" + std::to_string(listen) + "\"\n";
    };
    write_file(config, toml(port));
    ChildProcess run({cimrt, "run", config.string()}, dir.path);
    REQUIRE(run.wait_for_stderr("cimrt: running", std::chrono::seconds(10)));
    REQUIRE(cim::test::http_request(port, "GET", "/").status == 200);

    write_file(config, toml(port) + "max_connections = 77\n");
    const auto ok = run_process({cimrt, "reload", config.string()}, "", std::chrono::seconds(30), dir.path);
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);  // a plain table change restarts the channel on its port
    CHECK_THAT(ok.out, Catch::Contains("restarted: channel"));

    REQUIRE(cim::test::http_request(port, "GET", "/").status == 200);  // served again after its restart

    // A port held by a listener of the test's own: the channel's successor cannot bind it.
    const std::uint16_t taken = cim::test::free_port();
    const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(taken);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(holder, 1) == 0);
    write_file(config, toml(taken));
    const auto failed = run_process({cimrt, "reload", config.string()}, "", std::chrono::seconds(30), dir.path);
    ::close(holder);
    INFO(failed.err);
    CHECK(failed.exit_code == 3);
    CHECK_THAT(failed.err, Catch::Contains("channel") && Catch::Contains("rolled back"));
    // The channel is back where it was, with the table it had.
    CHECK(cim::test::http_request(port, "GET", "/").status == 200);

    run.send_signal(SIGTERM);
    CHECK(run.wait(std::chrono::seconds(15)) == 0);
}
