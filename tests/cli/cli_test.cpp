// The `cimrt` binary as an operator meets it: exit codes, output formats, and errors that name the problem.
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "run_process.hpp"

using cim::test::run_process;

namespace {

const std::string cimrt = std::string(CIMRT_BINARY_DIR) + "/cimrt";
const std::string fixtures = CIMRT_TEST_PLUGIN_DIR;

struct Workspace {
    std::filesystem::path path;
    Workspace() {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() / ("cimrt-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path);
    }
    ~Workspace() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
    // A config with a memory or sqlite store under this workspace and the given plugin tables.
    std::string config(const std::string& plugins, const std::string& store = "kind = \"memory\"") const {
        return write("runtime.toml", "[runtime]\nthreads = 2\nplugin_dir = \"" + fixtures + "\"\n[store]\n" + store +
                                         "\n" + plugins);
    }
};

}  // namespace

TEST_CASE("check exits 0 for a usable config, 2 for a configuration error, 3 for a plugin that cannot load",
          "[cli][check]") {
    Workspace ws;
    auto ok = run_process({cimrt, "check", ws.config("[plugins.greeter]\n[plugins.c_echo]\n")});
    REQUIRE(ok.exit_code == 0);
    REQUIRE_THAT(ok.out, Catch::Contains("OK (2 plugin(s) loaded, 2 warning(s))"));
    REQUIRE_THAT(ok.out, Catch::Contains("warning: CUSTOMER_MESSAGE is consumed by 'greeter', 'c_echo' but no plugin publishes it"));

    const std::string typo = ws.write("typo.toml", "[runtime]\nthread = 2\n");
    auto config_error = run_process({cimrt, "check", typo});
    REQUIRE(config_error.exit_code == 2);
    REQUIRE_THAT(config_error.err, Catch::Contains(typo + ":2:1: runtime.thread: unknown key 'thread'; did you mean 'threads'?"));

    auto schema_error = run_process({cimrt, "check", ws.config("[plugins.greeter]\ngreting = \"x\"\n")});
    REQUIRE(schema_error.exit_code == 2);
    REQUIRE_THAT(schema_error.err, Catch::Contains(":7:1: plugins.greeter.greting: unknown key 'greting'; did you mean 'greeting'?"));

    auto wrong_abi = run_process({cimrt, "check", ws.config("[plugins.wrong_major]\n")});
    REQUIRE(wrong_abi.exit_code == 3);
    REQUIRE_THAT(wrong_abi.err, Catch::Contains("wrong_major.so: built for ABI 2.") && Catch::Contains("this runtime speaks ABI 1."));

    auto throws = run_process({cimrt, "check", ws.config("[plugins.thrower]\nthrow_in = \"create\"\n")});
    REQUIRE(throws.exit_code == 3);
    REQUIRE_THAT(throws.err, Catch::Contains("plugin 'thrower': create failed: thrower: refusing to be created"));
}

TEST_CASE("events --json holds every catalogue name with its type", "[cli][events]") {
    auto result = run_process({cimrt, "events", "--json"});
    REQUIRE(result.exit_code == 0);
    const auto events = nlohmann::json::parse(result.out);
    std::map<std::string, std::string> types;
    for (const auto& e : events) types[e["name"]] = e["type"];
    for (const char* name :
         {"CUSTOMER_MESSAGE", "AGENT_MESSAGE", "BOT_MESSAGE", "BOT_SUGGESTION", "WHISPER_MESSAGE", "ACTION_MESSAGE",
          "CHANNEL_SESSION_STARTED", "CHANNEL_SESSION_ENDED", "CHANNEL_SESSION_EXPIRED", "CHANNEL_SESSION_DATA_UPDATED",
          "AGENT_RESERVED", "AGENT_SUBSCRIBED", "AGENT_UNSUBSCRIBED", "NO_AGENT_AVAILABLE", "TASK_ENQUEUED",
          "TASK_STATE_CHANGED", "REVOKE_RESOURCE", "ACCEPT_TIMEOUT", "AGENT_RESPONSE_TIMEOUT", "CUSTOMER_RESPONSE_TIMEOUT",
          "BOT_TIMEOUT", "BOT_NOT_AVAILABLE", "TOPIC_STATE_CHANGED", "ASSOCIATED_CUSTOMER_CHANGED",
          "MESSAGE_DELIVERY_NOTIFICATION", "WRAPUP_APPLIED", "CONVERSATION_DATA_CHANGED", "PARTICIPANT_ROLE_CHANGED",
          "CALL_LEG_ENDED", "CALL_HOLD", "CALL_RESUME", "AGENT_OUTBOUND", "THIRD_PARTY_ACTIVITY", "MRD_INTERRUPTED",
          "EWT_MESSAGE", "ACTIVITY_REACTION", "ACTIVITY_MODIFIED"}) {
        INFO(name);
        REQUIRE(types.count(name) == 1);
    }
    REQUIRE(types["BOT_SUGGESTION"] == "SUGGESTION");
    REQUIRE(types["WHISPER_MESSAGE"] == "MESSAGE");
    const auto topic = std::find_if(events.begin(), events.end(), [](const auto& e) { return e["name"] == "TOPIC_STATE_CHANGED"; });
    REQUIRE((*topic)["aliases"] == nlohmann::json{"TOPIC_STATE_CHANGE_EVENT"});

    auto table = run_process({cimrt, "events"});
    REQUIRE(table.exit_code == 0);
    REQUIRE_THAT(table.out, Catch::Contains("CUSTOMER_MESSAGE") && Catch::Contains("ACTIVITY"));
}

TEST_CASE("graph renders the wiring for graphviz and mermaid", "[cli][graph]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n[plugins.undeclared]\n");
    auto dot = run_process({cimrt, "graph", config, "--format", "dot"});
    REQUIRE(dot.exit_code == 0);
    REQUIRE_THAT(dot.out, Catch::Contains(R"("external" -> "greeter" [label="CUSTOMER_MESSAGE", style=dashed];)"));
    auto svg = run_process({"/usr/bin/dot", "-Tsvg"}, dot.out);
    REQUIRE(svg.exit_code == 0);
    REQUIRE_THAT(svg.out, Catch::Contains("<svg") && Catch::Contains("CUSTOMER_MESSAGE"));

    auto mermaid = run_process({cimrt, "graph", config, "--format", "mermaid"});
    REQUIRE(mermaid.exit_code == 0);
    REQUIRE_THAT(mermaid.out, Catch::StartsWith("flowchart LR") && Catch::Contains("n_external -.->|CUSTOMER_MESSAGE| n_greeter"));

    REQUIRE(run_process({cimrt, "graph", config, "--format", "png"}).exit_code == 64);
}

TEST_CASE("plugins lists what is loaded and shows one plugin's config keys", "[cli][plugins]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    auto table = run_process({cimrt, "plugins", config});
    REQUIRE(table.exit_code == 0);
    REQUIRE_THAT(table.out, Catch::Contains("greeter") && Catch::Contains("1.2.3") && Catch::Contains("BOT_MESSAGE"));
    auto json = run_process({cimrt, "plugins", config, "--json"});
    const auto plugins = nlohmann::json::parse(json.out);
    REQUIRE(plugins[0]["name"] == "greeter");
    REQUIRE(plugins[0]["consumes"] == nlohmann::json{"CUSTOMER_MESSAGE"});
    auto info = run_process({cimrt, "plugins", config, "--plugin", "greeter"});
    REQUIRE(info.exit_code == 0);
    REQUIRE_THAT(info.out, Catch::Contains("greeting") && Catch::Contains("string") && Catch::Contains("\"Hello\"") &&
                               Catch::Contains("what to say"));
}

TEST_CASE("publish reports each bad line by number and exits non-zero", "[cli][publish]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    const std::string good = R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1","data":{"body":{"markdownText":"hi"}}})";
    const std::string file = ws.write("events.jsonl", good + "\n{not json\n\n" + good +
                                                          "\n{\"name\":\"NO_SUCH_EVENT\",\"conversationId\":\"c1\"}\n");
    auto result = run_process({cimrt, "publish", config, file});
    REQUIRE(result.exit_code == 1);
    REQUIRE_THAT(result.err, Catch::Contains(file + ":2: malformed JSON at byte 1: expected a field name"));
    REQUIRE_THAT(result.err, Catch::Contains(file + ":5: name: unknown event 'NO_SUCH_EVENT'"));
    REQUIRE_THAT(result.err, Catch::Contains("published 2 event(s), rejected 2 line(s)"));

    auto from_stdin = run_process({cimrt, "publish", config, "-"}, good + "\n" + good + "\n");
    REQUIRE(from_stdin.exit_code == 0);
    REQUIRE_THAT(from_stdin.err, Catch::Contains("published 2 event(s), rejected 0 line(s)"));
}

TEST_CASE("journal --json replayed with publish into an empty store reproduces inspect --json exactly",
          "[cli][journal]") {
    Workspace ws;
    const std::string original = ws.config("[plugins.greeter]\n", "kind = \"sqlite\"\npath = \"original.db\"");
    const std::string events = std::string(CIMRT_SOURCE_DIR) + "/examples/conversation.jsonl";
    REQUIRE(run_process({cimrt, "publish", original, events}).exit_code == 0);
    auto journal = run_process({cimrt, "journal", original, "--json"});
    REQUIRE(journal.exit_code == 0);

    // The replay runs no plugin: the greeter's replies are in the journal already.
    const std::string replay = ws.write("replay.toml", "[store]\nkind = \"sqlite\"\npath = \"replay.db\"\n");
    auto replayed = run_process({cimrt, "publish", replay, "-"}, journal.out);
    REQUIRE(replayed.exit_code == 0);

    for (const char* kind : {"conversation", "customer"}) {
        const std::string id = std::string(kind) == "conversation" ? "conv-1" : "cust-ann";
        auto before = run_process({cimrt, "inspect", original, kind, id, "--json"});
        auto after = run_process({cimrt, "inspect", replay, kind, id, "--json"});
        REQUIRE(before.exit_code == 0);
        REQUIRE(after.exit_code == 0);
        REQUIRE(nlohmann::json::parse(before.out)["activities"].size() == 4);
        REQUIRE(after.out == before.out);
    }
    auto human = run_process({cimrt, "inspect", original, "conversation", "conv-1"});
    REQUIRE_THAT(human.out, Catch::Contains("state CLOSED") && Catch::Contains("\"Order 4711.\"") &&
                                Catch::Contains("-> ") && Catch::Contains("MESSAGE_DELIVERY_NOTIFICATION"));
    REQUIRE(run_process({cimrt, "inspect", original, "conversation", "nope"}).exit_code == 1);
}

TEST_CASE("version, help, and usage errors", "[cli]") {
    auto version = run_process({cimrt, "--version"});
    REQUIRE(version.exit_code == 0);
    REQUIRE_THAT(version.out, Catch::Contains("plugin ABI 1.1.0"));
    for (const char* command : {"run", "check", "plugins", "events", "graph", "publish", "inspect", "journal"}) {
        INFO(command);
        auto help = run_process({cimrt, command, "--help"});
        REQUIRE(help.exit_code == 0);
        REQUIRE_THAT(help.out, Catch::Contains("Usage"));
    }
    REQUIRE(run_process({cimrt}).exit_code == 64);
    REQUIRE(run_process({cimrt, "frobnicate"}).exit_code == 64);
}

TEST_CASE("run serves until SIGTERM, then drains and exits 0", "[cli][run]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    auto result = run_process({"/bin/sh", "-c", "\"$0\" run \"$1\" & pid=$!; sleep 1; kill -TERM $pid; wait $pid", cimrt, config},
                              {}, std::chrono::seconds(30));
    REQUIRE(result.exit_code == 0);
    REQUIRE_THAT(result.err, Catch::Contains("loaded plugin 'greeter'") && Catch::Contains("running") &&
                                 Catch::Contains("SIGTERM, draining") && Catch::Contains("stopped:"));
}
