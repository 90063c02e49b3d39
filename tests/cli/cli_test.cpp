// The `cimrt` binary as an operator meets it: each test runs the built executable as a child process against config
// files in a fresh temporary directory and asserts exit codes and the exact text on stdout and stderr.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cim/version.h"
#include "cli_harness.hpp"

using cim::test::ChildProcess;
using cim::test::ProcessResult;
using cim::test::run_process;
using namespace std::chrono_literals;

using namespace cim::test::cli;

namespace {

// DESIGN §1: every catalogue event with its type.
const std::map<std::string, std::string> catalogue = {
    {"CUSTOMER_MESSAGE", "ACTIVITY"},
    {"AGENT_MESSAGE", "ACTIVITY"},
    {"BOT_MESSAGE", "ACTIVITY"},
    {"BOT_SUGGESTION", "SUGGESTION"},
    {"WHISPER_MESSAGE", "MESSAGE"},
    {"ACTION_MESSAGE", "MESSAGE"},
    {"CHANNEL_SESSION_STARTED", "NOTIFICATION"},
    {"CHANNEL_SESSION_ENDED", "NOTIFICATION"},
    {"CHANNEL_SESSION_EXPIRED", "NOTIFICATION"},
    {"CHANNEL_SESSION_DATA_UPDATED", "NOTIFICATION"},
    {"AGENT_RESERVED", "NOTIFICATION"},
    {"AGENT_SUBSCRIBED", "NOTIFICATION"},
    {"AGENT_UNSUBSCRIBED", "NOTIFICATION"},
    {"NO_AGENT_AVAILABLE", "NOTIFICATION"},
    {"TASK_ENQUEUED", "ACTIVITY"},
    {"TASK_STATE_CHANGED", "NOTIFICATION"},
    {"REVOKE_RESOURCE", "NOTIFICATION"},
    {"ACCEPT_TIMEOUT", "NOTIFICATION"},
    {"AGENT_RESPONSE_TIMEOUT", "NOTIFICATION"},
    {"CUSTOMER_RESPONSE_TIMEOUT", "NOTIFICATION"},
    {"BOT_TIMEOUT", "NOTIFICATION"},
    {"BOT_NOT_AVAILABLE", "NOTIFICATION"},
    {"TOPIC_STATE_CHANGED", "NOTIFICATION"},
    {"ASSOCIATED_CUSTOMER_CHANGED", "NOTIFICATION"},
    {"MESSAGE_DELIVERY_NOTIFICATION", "NOTIFICATION"},
    {"WRAPUP_APPLIED", "ACTIVITY"},
    {"CONVERSATION_DATA_CHANGED", "NOTIFICATION"},
    {"PARTICIPANT_ROLE_CHANGED", "NOTIFICATION"},
    {"CALL_LEG_ENDED", "ACTIVITY"},
    {"CALL_HOLD", "NOTIFICATION"},
    {"CALL_RESUME", "NOTIFICATION"},
    {"AGENT_OUTBOUND", "ACTIVITY"},
    {"THIRD_PARTY_ACTIVITY", "NOTIFICATION"},
    {"MRD_INTERRUPTED", "NOTIFICATION"},
    {"EWT_MESSAGE", "ACTIVITY"},
    {"ACTIVITY_REACTION", "NOTIFICATION"},
    {"ACTIVITY_MODIFIED", "NOTIFICATION"},
};

// DESIGN §1: the public model's names, accepted as aliases on ingest.
const std::map<std::string, std::string> aliases = {
    {"TOPIC_STATE_CHANGE_EVENT", "TOPIC_STATE_CHANGED"},
    {"AGENT_ACCEPT_TIMEOUT", "ACCEPT_TIMEOUT"},
    {"AGENT_MRD_INTERRUPTED", "MRD_INTERRUPTED"},
};

const std::string customer_message =
    R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1","data":{"body":{"markdownText":"hi"}}})";

}  // namespace

// --------------------------------------------------------------------------------------------------------------- check

TEST_CASE("check: a usable config exits 0, prints each wiring warning as 'warning: ...' and OK", "[cli][check]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n[plugins.c_echo]\n");
    const auto result = cimrt({"check", config});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK(lines_of(result.out) ==
          std::vector<std::string>{
              "warning: CUSTOMER_MESSAGE is consumed by 'greeter', 'c_echo' but no plugin publishes it (only an "
              "external source can: cimrt publish, an embedding product)",
              "warning: BOT_MESSAGE is published by 'greeter', 'c_echo' but no plugin consumes it",
              config + ": OK (2 plugin(s) loaded, 2 warning(s))"});
    CHECK(result.err.empty());  // check does not log: its report is stdout
}

TEST_CASE("check: without CONFIG it checks ./runtime.toml", "[cli][check]") {
    Workspace ws;
    ws.config("[plugins.greeter]\n");
    const auto found = cimrt({"check"}, {}, ws.path());
    REQUIRE_THAT(found, ExitsWith(0));
    CHECK_THAT(found.out, Catch::Contains("runtime.toml: OK (1 plugin(s) loaded, 2 warning(s))"));

    std::filesystem::remove(ws.path() / "runtime.toml");
    const auto missing = cimrt({"check"}, {}, ws.path());
    REQUIRE_THAT(missing, ExitsWith(2));
    CHECK(missing.err == "configuration error: runtime.toml: no such file\n");
}

TEST_CASE("check: a configuration error exits 2 and names file:line:column, the key path and the problem",
          "[cli][check]") {
    Workspace ws;
    SECTION("a typo'd runtime key, with a suggestion") {
        const std::string file = ws.write("typo.toml",
                                          "# line 1\n"
                                          "[runtime]\n"
                                          "  thread = 2\n");  // line 3, column 3
        const auto result = cimrt({"check", file});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err ==
              "configuration error: " + file + ":3:3: runtime.thread: unknown key 'thread'; did you mean 'threads'?\n");
        CHECK(result.out.empty());
    }
    SECTION("a value of the wrong type") {
        const std::string file = ws.write("type.toml", "[runtime]\nthreads = \"two\"\n");
        const auto result = cimrt({"check", file});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err ==
              "configuration error: " + file + ":2:11: runtime.threads: expected an integer, got a string\n");
    }
    SECTION("a TOML syntax error") {
        const std::string file = ws.write("syntax.toml", "[runtime\n");
        const auto result = cimrt({"check", file});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK_THAT(result.err, Catch::StartsWith("configuration error: " + file + ":1:"));
    }
    SECTION("a config file that does not exist") {
        const std::string file = (ws.path() / "absent.toml").string();
        const auto result = cimrt({"check", file});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err == "configuration error: " + file + ": no such file\n");
    }
    SECTION("a plugin whose file is not in plugin_dir") {
        const std::string config = ws.config("[plugins.nosuch]\n");
        const auto result = cimrt({"check", config});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err == "configuration error: " + config + ":6:1: plugins.nosuch: plugin file not found: " +
                                fixtures + "/nosuch.so\n");
    }
}

TEST_CASE("check: a plugin option that violates the plugin's schema exits 2", "[cli][check]") {
    Workspace ws;
    SECTION("an unknown key, with a suggestion from the schema") {
        const std::string config = ws.config("[plugins.greeter]\ngreting = \"x\"\n");  // line 7
        const auto result = cimrt({"check", config});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err == "configuration error: " + config +
                                ":7:1: plugins.greeter.greting: unknown key 'greting'; did you mean 'greeting'?\n");
    }
    SECTION("a value of the wrong type") {
        const std::string config = ws.config("[plugins.greeter]\ngreeting = 5\n");
        const auto result = cimrt({"check", config});
        REQUIRE_THAT(result, ExitsWith(2));
        CHECK(result.err ==
              "configuration error: " + config + ":7:1: plugins.greeter.greeting: expected a string, got an integer\n");
    }
    SECTION("a value outside an enum") {
        const std::string config = ws.config("[plugins.thrower]\nthrow_in = \"nowhere\"\n");
        const auto result = cimrt({"check", config});
        REQUIRE_THAT(result, ExitsWith(2));
        const std::string where = "configuration error: " + config + ":7:1: plugins.thrower.throw_in: ";
        CHECK_THAT(result.err,
                   Catch::StartsWith(where) && Catch::Contains("\"create\"") && Catch::Contains("\"nowhere\""));
    }
}

TEST_CASE("check: a plugin that cannot be loaded or created exits 3 and says why", "[cli][check]") {
    Workspace ws;
    SECTION("built for another ABI major: the message names both versions") {
        const auto result = cimrt({"check", ws.config("[plugins.wrong_major]\n")});
        REQUIRE_THAT(result, ExitsWith(3));
        CHECK_THAT(result.err,
                   Catch::StartsWith("plugin error: plugin " + fixtures + "/wrong_major.so: built for ABI 2.") &&
                       Catch::Contains(", this runtime speaks ABI " CIM_ABI_VERSION_STRING));
        CHECK(result.out.empty());
    }
    SECTION("not a plugin at all") {
        const auto result = cimrt({"check", ws.config("[plugins.not_a_plugin]\n")});
        REQUIRE_THAT(result, ExitsWith(3));
        CHECK_THAT(result.err, Catch::Contains("not_a_plugin.so: exports no 'cim_plugin_entry' symbol"));
    }
    SECTION("throws in create") {
        const auto result = cimrt({"check", ws.config("[plugins.thrower]\nthrow_in = \"create\"\n")});
        REQUIRE_THAT(result, ExitsWith(3));
        CHECK(result.err == "plugin error: plugin 'thrower': create failed: thrower: refusing to be created\n");
    }
}

// -------------------------------------------------------------------------------------------------------------- events

TEST_CASE("events --json holds every catalogue event of DESIGN §1 with its type, and the aliases", "[cli][events]") {
    const auto result = cimrt({"events", "--json"});
    REQUIRE_THAT(result, ExitsWith(0));
    const auto events = nlohmann::json::parse(result.out);
    REQUIRE(events.is_array());

    std::map<std::string, std::string> types;
    std::map<std::string, std::string> alias_of;
    for (const auto& e : events) {
        const std::string name = e.at("name").get<std::string>();
        INFO(name);
        CHECK(types.count(name) == 0);  // each name once
        types[name] = e.at("type").get<std::string>();
        CHECK_FALSE(e.at("description").get<std::string>().empty());
        CHECK_FALSE(e.contains("definedBy"));  // no config: built-ins only
        if (e.contains("aliases")) {
            for (const auto& alias : e["aliases"]) alias_of[alias.get<std::string>()] = name;
        }
    }
    for (const auto& [name, type] : catalogue) {
        INFO(name);
        REQUIRE(types.count(name) == 1);
        CHECK(types[name] == type);
    }
    CHECK(types.size() == catalogue.size());  // nothing beyond the catalogue
    CHECK(alias_of == aliases);
}

TEST_CASE("events prints the catalogue as a table: name, type, description", "[cli][events]") {
    const auto result = cimrt({"events"});
    REQUIRE_THAT(result, ExitsWith(0));
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() >= 2);
    CHECK(words_of(lines[0]) == std::vector<std::string>{"name", "type", "description"});
    std::map<std::string, std::string> types;
    for (std::size_t i = 2; i < lines.size(); ++i) {
        const auto words = words_of(lines[i]);
        REQUIRE(words.size() >= 2);
        types[words[0]] = words[1];
    }
    CHECK(types == catalogue);
    CHECK_THAT(result.out, Catch::Contains("(alias: TOPIC_STATE_CHANGE_EVENT)"));
}

TEST_CASE("events --config adds the custom events of that config's plugins", "[cli][events]") {
    Workspace ws;
    const auto result = cimrt({"events", "--config", ws.config("[plugins.custom_a]\n"), "--json"});
    REQUIRE_THAT(result, ExitsWith(0));
    const auto events = nlohmann::json::parse(result.out);
    const auto custom =
        std::find_if(events.begin(), events.end(), [](const auto& e) { return e["name"] == "acme.SCORE"; });
    REQUIRE(custom != events.end());
    CHECK((*custom)["type"] == "ACTIVITY");
    CHECK((*custom)["definedBy"] == "custom_a");
    CHECK(events.size() == catalogue.size() + 1);
}

// --------------------------------------------------------------------------------------------------------------- graph

TEST_CASE("graph --format dot draws the wiring, and Graphviz renders it", "[cli][graph]") {
    Workspace ws;
    // Both plugins consume CUSTOMER_MESSAGE and publish BOT_MESSAGE: nobody publishes what they consume, so both edges
    // come from the dashed "external" node, and no plugin-to-plugin edge exists (a plugin never hears its own event).
    const std::string config = ws.config("[plugins.greeter]\n[plugins.c_echo]\n");
    const auto result = cimrt({"graph", config, "--format", "dot"});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK_THAT(result.out, Catch::StartsWith("digraph cimrt {"));
    CHECK(has_line(result.out, R"(  "greeter" [label="greeter\n1.2.3"];)"));
    CHECK(has_line(result.out, R"(  "c_echo" [label="c_echo\n0.1.0"];)"));
    CHECK(has_line(result.out, R"(  "external" [style=dashed, shape=ellipse];)"));
    CHECK(has_line(result.out, R"(  "external" -> "greeter" [label="CUSTOMER_MESSAGE", style=dashed];)"));
    CHECK(has_line(result.out, R"(  "external" -> "c_echo" [label="CUSTOMER_MESSAGE", style=dashed];)"));
    CHECK(count_of(result.out, " -> ") == 2);

    REQUIRE(std::filesystem::exists(dot_binary));
    const auto svg = run_process({dot_binary, "-Tsvg"}, result.out, 60s);
    REQUIRE_THAT(svg, ExitsWith(0));
    CHECK(svg.err.empty());
    CHECK_THAT(svg.out, Catch::Contains("<svg"));
    CHECK(count_of(svg.out, ">CUSTOMER_MESSAGE</text>") == 2);  // the two edge labels
    // A node shows its name over its version: two lines, not a literal backslash-n.
    CHECK_THAT(svg.out, Catch::Contains(">greeter</text>") && Catch::Contains(">1.2.3</text>"));
    CHECK_THAT(svg.out, !Catch::Contains("\\n"));
}

TEST_CASE("graph --format mermaid draws the same wiring as a flowchart", "[cli][graph]") {
    Workspace ws;
    const auto result = cimrt({"graph", ws.config("[plugins.greeter]\n[plugins.c_echo]\n"), "--format", "mermaid"});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK_THAT(result.out, Catch::StartsWith("flowchart LR\n"));
    CHECK(has_line(result.out, "  n_external -.->|CUSTOMER_MESSAGE| n_greeter"));
    CHECK(has_line(result.out, "  n_external -.->|CUSTOMER_MESSAGE| n_c_echo"));
    CHECK(has_line(result.out, "  style n_external stroke-dasharray: 5 5"));
}

TEST_CASE("graph: an unknown --format is a usage error (64), a bad config a configuration error (2)", "[cli][graph]") {
    Workspace ws;
    const auto png = cimrt({"graph", ws.config("[plugins.greeter]\n"), "--format", "png"});
    REQUIRE_THAT(png, ExitsWith(64));
    CHECK_THAT(png.err, Catch::Contains("--format") && Catch::Contains("png"));
    CHECK(png.out.empty());

    const auto bad = cimrt({"graph", ws.write("bad.toml", "[runtime]\nthread = 1\n")});
    REQUIRE_THAT(bad, ExitsWith(2));
    CHECK(bad.out.empty());
}

// ------------------------------------------------------------------------------------------------------------- plugins

TEST_CASE("plugins lists the enabled plugins: name, version, ABI, publishes, consumes", "[cli][plugins]") {
    Workspace ws;
    const auto result = cimrt({"plugins", ws.config("[plugins.greeter]\n[plugins.c_echo]\n")});
    REQUIRE_THAT(result, ExitsWith(0));
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 4);
    CHECK(words_of(lines[0]) == std::vector<std::string>{"name", "version", "ABI", "publishes", "consumes"});
    CHECK(words_of(lines[2]) ==
          std::vector<std::string>{"greeter", "1.2.3", CIM_ABI_VERSION_STRING, "BOT_MESSAGE", "CUSTOMER_MESSAGE"});
    CHECK(words_of(lines[3]) ==
          std::vector<std::string>{"c_echo", "0.1.0", CIM_ABI_VERSION_STRING, "BOT_MESSAGE", "CUSTOMER_MESSAGE"});
}

TEST_CASE("plugins --json has each plugin's manifest with publishes, consumes and config schema", "[cli][plugins]") {
    Workspace ws;
    const auto result = cimrt({"plugins", ws.config("[plugins.greeter]\n[plugins.c_echo]\n"), "--json"});
    REQUIRE_THAT(result, ExitsWith(0));
    const auto plugins = nlohmann::json::parse(result.out);
    REQUIRE(plugins.size() == 2);
    const auto& greeter = plugins[0];
    CHECK(greeter["name"] == "greeter");
    CHECK(greeter["version"] == "1.2.3");
    CHECK(greeter["abi"] == CIM_ABI_VERSION_STRING);
    CHECK(greeter["path"] == fixtures + "/greeter.so");
    CHECK(greeter["publishes"] == nlohmann::json{"BOT_MESSAGE"});
    CHECK(greeter["consumes"] == nlohmann::json{"CUSTOMER_MESSAGE"});
    CHECK(greeter["configSchema"]["properties"]["greeting"]["type"] == "string");
    const auto& echo = plugins[1];
    CHECK(echo["name"] == "c_echo");
    CHECK(echo["publishes"] == nlohmann::json{"BOT_MESSAGE"});
    CHECK(echo["consumes"] == nlohmann::json{"CUSTOMER_MESSAGE"});
    CHECK(echo["configSchema"].is_null());
}

TEST_CASE("plugins --plugin NAME shows that plugin's config keys with type, default and doc", "[cli][plugins]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n[plugins.c_echo]\n[plugins.thrower]\n");
    SECTION("a plugin with options") {
        const auto result = cimrt({"plugins", config, "--plugin", "greeter"});
        REQUIRE_THAT(result, ExitsWith(0));
        const auto lines = lines_of(result.out);
        REQUIRE(lines.size() == 7);
        CHECK(lines[0] == "greeter 1.2.3 (ABI " CIM_ABI_VERSION_STRING ")");
        CHECK(lines[1] == "greets every customer message");
        CHECK(lines[3] == "[plugins.greeter]");
        CHECK(words_of(lines[4]) == std::vector<std::string>{"key", "type", "default", "doc"});
        CHECK(words_of(lines[6]) == std::vector<std::string>{"greeting", "string", "\"Hello\"", "what", "to", "say"});
    }
    SECTION("an enum option lists its values") {
        const auto result = cimrt({"plugins", config, "-p", "thrower"});
        REQUIRE_THAT(result, ExitsWith(0));
        CHECK_THAT(result.out, Catch::Contains("throw_in") &&
                                   Catch::Contains(R"(One of ["","create","start","on_event","on_timer","stop"].)"));
    }
    SECTION("a plugin without options") {
        const auto result = cimrt({"plugins", config, "--plugin", "c_echo"});
        REQUIRE_THAT(result, ExitsWith(0));
        CHECK(has_line(result.out, "takes no options"));
    }
    SECTION("a plugin that is not enabled") {
        const auto result = cimrt({"plugins", config, "--plugin", "custom_a"});
        REQUIRE_THAT(result, ExitsWith(1));
        CHECK(result.err == "no enabled plugin named 'custom_a' in " + config + "\n");
    }
}

// ------------------------------------------------------------------------------------------------------------- publish

TEST_CASE("publish reports every bad line as FILE:LINE: reason, publishes the good ones and exits 1",
          "[cli][publish]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    const std::string lines[] = {
        customer_message,                                       // 1 good
        "{not json",                                            // 2 malformed
        "",                                                     // 3 blank: skipped, not an event
        customer_message,                                       // 4 good
        R"({"name":"NO_SUCH_EVENT","conversationId":"c1"})",    // 5 unknown event
        R"({"name":"BOT_MESSAGE","customerId":"u1"})",          // 6 no conversationId
    };
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    const std::string file = ws.write("events.jsonl", text + customer_message);  // 7 good, without a final newline
    const auto result = cimrt({"publish", config, file});
    REQUIRE_THAT(result, ExitsWith(1));

    std::map<int, std::string> rejected;  // line number → reason
    for (const auto& line : lines_of(result.err)) {
        if (line.rfind(file + ":", 0) != 0) continue;
        const std::string rest = line.substr(file.size() + 1);
        const auto colon = rest.find(": ");
        REQUIRE(colon != std::string::npos);
        rejected[std::stoi(rest.substr(0, colon))] = rest.substr(colon + 2);
    }
    REQUIRE(rejected.size() == 3);
    CHECK_THAT(rejected[2], Catch::StartsWith("malformed JSON"));
    CHECK_THAT(rejected[5], Catch::Contains("unknown event 'NO_SUCH_EVENT'"));
    CHECK_THAT(rejected[6], Catch::Contains("conversationId") && Catch::Contains("BOT_MESSAGE"));
    CHECK(lines_of(result.err).back() == "published 3 event(s), rejected 3 line(s)");
}

TEST_CASE("publish: an all-good file exits 0 and every event reaches the plugins before exit", "[cli][publish]") {
    Workspace ws;
    const std::string config =
        ws.config("[plugins.greeter]\ngreeting = \"Howdy\"\n", "kind = \"sqlite\"\npath = \"journal.db\"");
    const std::string file = ws.write("events.jsonl", customer_message + "\n" + customer_message + "\n");
    const auto result = cimrt({"publish", config, file});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK(lines_of(result.err).back() == "published 2 event(s), rejected 0 line(s)");

    // publish drains before it stops: the greeter's replies, with its configured greeting, are in the journal.
    const auto journal = cimrt({"journal", config, "--json"});
    REQUIRE_THAT(journal, ExitsWith(0));
    std::map<std::string, int> names;
    for (const auto& line : lines_of(journal.out)) {
        const auto event = nlohmann::json::parse(line);
        ++names[event["name"].get<std::string>()];
        if (event["name"] == "BOT_MESSAGE") CHECK(event["data"]["body"]["markdownText"] == "Howdy, you said: hi");
    }
    CHECK(names == std::map<std::string, int>{{"CUSTOMER_MESSAGE", 2}, {"BOT_MESSAGE", 2}});
}

TEST_CASE("publish - reads the events from stdin", "[cli][publish]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    SECTION("all good") {
        const auto result = cimrt({"publish", config, "-"}, customer_message + "\n" + customer_message + "\n");
        REQUIRE_THAT(result, ExitsWith(0));
        CHECK(lines_of(result.err).back() == "published 2 event(s), rejected 0 line(s)");
    }
    SECTION("a bad line is reported as <stdin>:LINE") {
        const auto result = cimrt({"publish", config, "-"}, customer_message + "\n[1, 2]\n");
        REQUIRE_THAT(result, ExitsWith(1));
        const auto lines = lines_of(result.err);
        CHECK(std::any_of(lines.begin(), lines.end(), [](const auto& l) { return l.rfind("<stdin>:2: ", 0) == 0; }));
        CHECK(lines_of(result.err).back() == "published 1 event(s), rejected 1 line(s)");
    }
}

TEST_CASE("publish: a file that cannot be read exits 1, a bad config 2, missing arguments 64", "[cli][publish]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    const std::string absent = (ws.path() / "absent.jsonl").string();
    const auto unreadable = cimrt({"publish", config, absent});
    REQUIRE_THAT(unreadable, ExitsWith(1));
    CHECK(unreadable.err == "cannot open " + absent + "\n");

    const std::string bad = ws.write("bad.toml", "[store]\nkind = \"paper\"\n");
    const auto bad_config = cimrt({"publish", bad, "-"}, customer_message);
    REQUIRE_THAT(bad_config, ExitsWith(2));
    CHECK_THAT(bad_config.err, Catch::Contains("bad.toml:2:") && Catch::Contains("store.kind"));

    REQUIRE_THAT(cimrt({"publish"}), ExitsWith(64));
}

// ------------------------------------------------------------------------------------------------------------- journal

TEST_CASE("journal --json replayed with publish into an empty store reproduces inspect --json exactly",
          "[cli][journal]") {
    Workspace ws;
    const std::string original = ws.config("[plugins.greeter]\n", "kind = \"sqlite\"\npath = \"original.db\"");
    const std::string events = std::string(CIMRT_SOURCE_DIR) + "/examples/conversation.jsonl";
    REQUIRE_THAT(cimrt({"publish", original, events}), ExitsWith(0));
    const auto journal = cimrt({"journal", original, "--json"});
    REQUIRE_THAT(journal, ExitsWith(0));

    // The replay runs no plugin: the greeter's replies are in the journal already.
    const std::string replay = ws.write("replay.toml", "[store]\nkind = \"sqlite\"\npath = \"replay.db\"\n");
    REQUIRE_THAT(cimrt({"publish", replay, "-"}, journal.out), ExitsWith(0));

    for (const char* kind : {"conversation", "customer"}) {
        const std::string id = std::string(kind) == "conversation" ? "conv-1" : "cust-ann";
        const auto before = cimrt({"inspect", original, kind, id, "--json"});
        const auto after = cimrt({"inspect", replay, kind, id, "--json"});
        REQUIRE_THAT(before, ExitsWith(0));
        REQUIRE_THAT(after, ExitsWith(0));
        CHECK(nlohmann::json::parse(before.out)["activities"].size() == 4);
        CHECK(after.out == before.out);
    }
    const auto human = cimrt({"inspect", original, "conversation", "conv-1"});
    REQUIRE_THAT(human, ExitsWith(0));
    CHECK_THAT(human.out, Catch::Contains("state CLOSED") && Catch::Contains("\"Order 4711.\"") &&
                              Catch::Contains("-> ") && Catch::Contains("MESSAGE_DELIVERY_NOTIFICATION"));
    REQUIRE_THAT(cimrt({"inspect", original, "conversation", "nope"}), ExitsWith(1));
}

// ------------------------------------------------------------------------------------------------ version, help, usage

TEST_CASE("version: --version names the CLI version and the plugin ABI version", "[cli]") {
    const auto result = cimrt({"--version"});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK_THAT(result.out, Catch::StartsWith("cimrt ") && Catch::Contains("(plugin ABI " CIM_ABI_VERSION_STRING ")"));
}

TEST_CASE("help: --help works for cimrt and every subcommand", "[cli]") {
    const auto top = cimrt({"--help"});
    REQUIRE_THAT(top, ExitsWith(0));
    for (const char* command : {"run", "check", "plugins", "events", "graph", "publish", "inspect", "journal", "report",
                                "export", "hash-password"}) {
        INFO(command);
        CHECK_THAT(top.out, Catch::Contains(std::string("  ") + command + " "));
        const auto help = cimrt({command, "--help"});
        REQUIRE_THAT(help, ExitsWith(0));
        CHECK_THAT(help.out, Catch::Contains("Usage") && Catch::Contains(command));
    }
}

TEST_CASE("usage: a wrong command line exits 64 (EX_USAGE)", "[cli]") {
    const auto none = cimrt({});
    REQUIRE_THAT(none, ExitsWith(64));
    CHECK_THAT(none.err, Catch::Contains("subcommand is required"));
    REQUIRE_THAT(cimrt({"frobnicate"}), ExitsWith(64));
    REQUIRE_THAT(cimrt({"check", "--frobnicate"}), ExitsWith(64));
    REQUIRE_THAT(cimrt({"events", "--json=maybe"}), ExitsWith(64));
}

// ---------------------------------------------------------------------------------------------------------- the helper

TEST_CASE("run_process: bounded in time, safe against children that stop reading, no leaked pipe ends",
          "[cli][helper]") {
    SECTION("a child that overruns its limit is killed and reported") {
        const auto start = std::chrono::steady_clock::now();
        const auto result = run_process({"/bin/sleep", "30"}, {}, 300ms);
        CHECK(result.timed_out);
        CHECK(result.exit_code == 128 + SIGKILL);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
    }
    SECTION("stdin larger than a pipe, to a child that never reads it: no SIGPIPE here, the child's code kept") {
        const auto result = run_process({"/bin/sh", "-c", "exit 7"}, std::string(4 << 20, 'x'), 30s);
        CHECK_THAT(result, ExitsWith(7));
    }
    SECTION("stdin in, stdout and stderr apart") {
        const auto result = run_process({"/bin/sh", "-c", "cat; echo oops >&2"}, std::string(1 << 20, 'y'), 30s);
        REQUIRE_THAT(result, ExitsWith(0));
        CHECK(result.out == std::string(1 << 20, 'y'));
        CHECK(result.err == "oops\n");
    }
    SECTION("a child started later does not inherit an earlier child's stdin, so that one still sees end of file") {
        ChildProcess cat({"/bin/cat"});
        cat.write_stdin("first");
        ChildProcess sleeper({"/bin/sleep", "30"});  // killed by its destructor
        cat.close_stdin();
        const auto code = cat.wait(10s);  // would hang for 30 s if the sleeper held cat's stdin open
        REQUIRE(code.has_value());
        CHECK(*code == 0);
        CHECK(cat.out() == "first");
    }
}

// ----------------------------------------------------------------------------------------------------------------- run

namespace {

// The exit code of `child` within `limit`; fails the test (the child is then killed by its destructor) otherwise.
int exit_within(ChildProcess& child, std::chrono::milliseconds limit) {
    const auto code = child.wait(limit);
    if (!code) FAIL("still running after " << limit.count() << " ms; stderr so far:\n" << child.err());
    return *code;
}

void require_running(ChildProcess& child) {
    if (!child.wait_for_stderr("cimrt: running ", 30s)) {
        FAIL("cimrt run never said it was running; stderr:\n" << child.err());
    }
}

}  // namespace

TEST_CASE("run serves until SIGTERM or SIGINT, then drains and exits 0", "[cli][run]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    const auto [sig, name] = GENERATE(std::pair<int, std::string>{SIGTERM, "SIGTERM"},
                                      std::pair<int, std::string>{SIGINT, "SIGINT"});
    ChildProcess child({cimrt_binary, "run", config});
    require_running(child);
    child.send_signal(sig);
    const int code = exit_within(child, 5s);
    const std::string& err = child.err();
    INFO(err);
    CHECK(code == 0);
    CHECK_THAT(err, Catch::Contains("loaded plugin 'greeter' 1.2.3"));
    CHECK_THAT(err, Catch::Contains("cimrt: running " + config + " with 1 plugin(s)"));
    const auto draining = err.find("cimrt: " + name + ", draining");
    REQUIRE(draining != std::string::npos);
    CHECK(err.find("cimrt: running ") < draining);
    CHECK(err.find("stopped:", draining) != std::string::npos);
}

namespace {

// systemd's end of the readiness protocol: a datagram socket the child finds in NOTIFY_SOCKET.
class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path.string()) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path_.size() < sizeof(address.sun_path));
        std::copy(path_.begin(), path_.end(), address.sun_path);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::string& path() const { return path_; }

    /// The next message, or "" when none came within `limit`.
    std::string next(std::chrono::milliseconds limit) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(limit.count())) != 1) return {};
        char buffer[4096];
        const auto size = ::recv(fd_, buffer, sizeof(buffer), 0);
        return size > 0 ? std::string(buffer, static_cast<std::size_t>(size)) : std::string();
    }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace

// The packaged unit is Type=notify (packaging/debian/cimrt.service.in): systemd learns from these when a start, a
// reload and a stop happen.
TEST_CASE("run tells systemd READY=1 once serving, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on stop",
          "[cli][run]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    NotifySocket notify(ws.path() / "notify.sock");
    ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
    ChildProcess child({cimrt_binary, "run", config});
    ::unsetenv("NOTIFY_SOCKET");
    require_running(child);

    const auto ready = notify.next(10s);
    CHECK_THAT(ready, Catch::Contains("READY=1") && Catch::Contains("STATUS=serving with 1 plugin(s)"));
    child.send_signal(SIGHUP);
    const auto reloading = notify.next(10s);
    CHECK_THAT(reloading, Catch::Contains("RELOADING=1") && Catch::Contains("MONOTONIC_USEC="));
    CHECK_THAT(notify.next(10s), Catch::Contains("READY=1"));
    child.send_signal(SIGTERM);
    CHECK_THAT(notify.next(10s), Catch::Contains("STOPPING=1"));
    CHECK(exit_within(child, 5s) == 0);
}

TEST_CASE("run owns its SQLite store while it runs: another cimrt cannot publish into it, but can read it",
          "[cli][run]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n", "kind = \"sqlite\"\npath = \"journal.db\"");
    {
        ChildProcess child({cimrt_binary, "run", config});
        require_running(child);

        const auto refused = cimrt({"publish", config, "-"}, customer_message + "\n");
        REQUIRE_THAT(refused, ExitsWith(4));  // a store error, not a configuration error
        CHECK_THAT(refused.err, Catch::Contains("is owned by another running cimrt"));
        REQUIRE_THAT(cimrt({"journal", config}), ExitsWith(0));

        child.send_signal(SIGTERM);
        INFO(child.err());
        CHECK(exit_within(child, 5s) == 0);
    }
    // Stopped, it let go of the store.
    REQUIRE_THAT(cimrt({"publish", config, "-"}, customer_message + "\n"), ExitsWith(0));
}

TEST_CASE("run exits 3 at once when a plugin cannot start, and 2 for a bad config", "[cli][run]") {
    Workspace ws;
    const auto start_fails = cimrt({"run", ws.config("[plugins.thrower]\nthrow_in = \"start\"\n")});
    REQUIRE_THAT(start_fails, ExitsWith(3));
    CHECK_THAT(start_fails.err, Catch::Contains("plugin error: plugin 'thrower': ") &&
                                    Catch::Contains("thrower: cannot start"));
    CHECK_THAT(start_fails.err, !Catch::Contains("cimrt: running"));

    const std::string bad = ws.write("bad.toml", "[sessions]\ncustomer_inactivity_timeout = \"soon\"\n");
    const auto bad_config = cimrt({"run", bad});
    REQUIRE_THAT(bad_config, ExitsWith(2));
    CHECK_THAT(bad_config.err,
               Catch::Contains("bad.toml:2:") && Catch::Contains("sessions.customer_inactivity_timeout"));
}

TEST_CASE("run --log-level sets how much it logs, and an unknown level is a usage error", "[cli][run]") {
    Workspace ws;
    const std::string config = ws.config("[plugins.greeter]\n");
    {
        ChildProcess child({cimrt_binary, "run", config, "--log-level", "error"});
        require_running(child);
        child.send_signal(SIGTERM);
        CHECK(exit_within(child, 5s) == 0);
        CHECK_THAT(child.err(), !Catch::Contains("loaded plugin") && !Catch::Contains("warning"));
        CHECK_THAT(child.err(), Catch::Contains("cimrt: SIGTERM, draining"));
    }
    // A typo must not silently switch logging off.
    const auto typo = run_process({cimrt_binary, "run", config, "--log-level", "infoo"}, {}, 10s);
    REQUIRE_THAT(typo, ExitsWith(64));
    CHECK_THAT(typo.err, Catch::Contains("--log-level"));
}

// ----------------------------------------------------------------------------------------------- contact center

TEST_CASE("the default runtime.toml loads the four contact-center plugins with no wiring warning", "[cli][check]") {
    const auto result = cimrt({"check", std::string(CIMRT_SOURCE_DIR) + "/runtime.toml"});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK(result.out.find("warning:") == std::string::npos);
    CHECK_THAT(result.out, Catch::EndsWith("runtime.toml: OK (4 plugin(s) loaded, 0 warning(s))\n"));
    // Its demo accounts are loud about it (the plugins' load-time warnings), and nothing else is.
    CHECK(count_of(result.err, "uses a demo password hash") == 2);
    CHECK(count_of(result.err, "\n") == 2);
    CHECK_THAT(result.err, Catch::Contains("agent 'alice'") && Catch::Contains("agent 'bob'"));
}

TEST_CASE("hash-password prints a salted argon2id hash, a too short password is a usage error", "[cli]") {
    const auto first = cimrt({"hash-password"}, "correct horse\n");
    REQUIRE_THAT(first, ExitsWith(0));
    CHECK_THAT(first.out, Catch::StartsWith("$argon2id$"));
    const auto second = cimrt({"hash-password"}, "correct horse\n");
    REQUIRE_THAT(second, ExitsWith(0));
    CHECK(first.out != second.out);  // a fresh salt each time
    const auto short_one = cimrt({"hash-password"}, "seven77\n");
    REQUIRE_THAT(short_one, ExitsWith(64));
    CHECK(short_one.err == "hash-password: the password must have at least 8 characters (this one has 7)\n");
    CHECK(short_one.out.empty());  // no hash of a password too short to keep
    REQUIRE_THAT(cimrt({"hash-password"}, "eight888\n"), ExitsWith(0));
}

TEST_CASE("check warns, naming the agent, when an agent's password hash is one of the shipped demo hashes",
          "[cli][check]") {
    Workspace ws;
    // The real agent plugin (beside the fixtures) with runtime.toml's demo account alice and a real account carol.
    const std::string config = ws.write(
        "runtime.toml",
        "[runtime]\nthreads = 2\nplugin_dir = \"" + fixtures + "/..\"\n[store]\nkind = \"memory\"\n[plugins.agent]\n"
        "listen = \"127.0.0.1:0\"\n[[plugins.agent.agents]]\nid = \"alice\"\npassword_hash = "
        "\"$argon2id$v=19$m=65536,t=2,p=1$zFE/fcC5OL0fbPhlKVzuuQ$oY1f95gxqeoz9+SVNKLwe5JH+tvYSAbIoeHnDffTXfY\"\n"
        "[[plugins.agent.agents]]\nid = \"carol\"\npassword_hash = "
        "\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$3M0oD9c5ZCk8w2J0VQ1eQm0X2c4v2mVdJ0H1m3dZxJk\"\n");
    const auto result = cimrt({"check", config});
    REQUIRE_THAT(result, ExitsWith(0));
    CHECK_THAT(result.err, Catch::Contains("agent 'alice' uses a demo password hash shipped with cimrt"));
    CHECK_THAT(result.err, Catch::Contains("cimrt hash-password"));
    CHECK_THAT(result.err, !Catch::Contains("'carol'"));
}

TEST_CASE("inspect csat aggregates the survey results per agent and overall", "[cli][inspect]") {
    Workspace ws;
    const std::string config = ws.config("", "kind = \"sqlite\"\npath = \"journal.db\"");
    const auto csat = [](int n, int score, const std::string& agents) {
        return R"({"id":"s)" + std::to_string(n) + R"(","name":"THIRD_PARTY_ACTIVITY","conversationId":"c)" +
               std::to_string(n) + R"(","customerId":"u1","emitter":{"id":"survey","type":"APP"},"data":{"kind":"CSAT","score":)" +
               std::to_string(score) + R"(,"scale":5,"agentIds":)" + agents + "}}\n";
    };
    const std::string other = R"({"id":"x","name":"THIRD_PARTY_ACTIVITY","conversationId":"c9","customerId":"u1","data":{"kind":"NPS","score":9}})";
    const std::string events = csat(1, 5, R"(["alice"])") + csat(2, 3, R"(["alice"])") + csat(3, 4, R"(["bob"])") +
                               csat(4, 2, R"(["alice","bob"])") + other + "\n";
    REQUIRE_THAT(cimrt({"publish", config, "-"}, events), ExitsWith(0));

    const auto json = cimrt({"inspect", config, "csat", "--json"});
    REQUIRE_THAT(json, ExitsWith(0));
    const auto report = nlohmann::json::parse(json.out);
    CHECK(report["overall"] == nlohmann::json{{"responses", 4}, {"average", 3.5}, {"csatPercent", 50.0}});
    CHECK(report["agents"] == nlohmann::json::array({
        {{"agentId", "alice"}, {"responses", 3}, {"average", 3.3}, {"csatPercent", 33.3}},
        {{"agentId", "bob"}, {"responses", 2}, {"average", 3.0}, {"csatPercent", 50.0}},
    }));

    const auto table = cimrt({"inspect", config, "csat"});
    REQUIRE_THAT(table, ExitsWith(0));
    const auto lines = lines_of(table.out);
    REQUIRE(lines.size() >= 4);
    CHECK_THAT(lines.back(), Catch::Contains("(overall)") && Catch::Contains("4") && Catch::Contains("50.0%"));
    REQUIRE_THAT(cimrt({"inspect", config, "csat", "extra"}), ExitsWith(64));
}

TEST_CASE("a plugin that blocks in on_event is named, and stop gives up at its deadline with exit 5", "[cli][faults]") {
    Workspace ws;
    const std::string config = ws.write(
        "runtime.toml", "[runtime]\nthreads = 2\nplugin_dir = \"" + fixtures +
                            "\"\nslow_delivery = \"200ms\"\nstop_timeout = \"1s\"\n[store]\nkind = \"memory\"\n"
                            "[plugins.sleeper]\nsleep_ms = 4000\n");
    const auto started = std::chrono::steady_clock::now();
    const auto result = cimrt({"publish", config, "-"}, customer_message + "\n");
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_THAT(result, ExitsWith(5));
    // Named while it blocks (slow_delivery), then at the deadline: plugin, hook, event, and for how long.
    CHECK_THAT(result.err, Catch::Contains("plugin 'sleeper' has been in on_event of CUSTOMER_MESSAGE"));
    CHECK_THAT(result.err, Catch::Contains("(runtime.slow_delivery = 200 ms)"));
    CHECK_THAT(result.err, Catch::Contains("stop gave up after 1000 ms (runtime.stop_timeout): plugin 'sleeper'"));
    CHECK(took < 3500ms);  // the 4 s sleep is not waited for
}

TEST_CASE("publish exits 1 when a delivery failed, though every line was accepted", "[cli][faults]") {
    Workspace ws;
    const auto result =
        cimrt({"publish", ws.config("[plugins.thrower]\nthrow_in = \"on_event\"\n"), "-"}, customer_message + "\n");
    REQUIRE_THAT(result, ExitsWith(1));
    CHECK_THAT(result.err, Catch::Contains("plugin 'thrower' failed on CUSTOMER_MESSAGE"));
    CHECK_THAT(result.err, Catch::Contains("published 1 event(s), rejected 0 line(s), 1 delivery(ies) failed"));
}

TEST_CASE("journal --json replayed into an empty store gives the same journal and the same conversation",
          "[cli][journal][replay]") {
    Workspace ws;
    // The greeter answers every customer message: a replay must not make it answer again.
    const std::string original = ws.config("[plugins.greeter]\n", "kind = \"sqlite\"\npath = \"a.db\"", "a.toml");
    const std::string copy = ws.config("[plugins.greeter]\n", "kind = \"sqlite\"\npath = \"b.db\"", "b.toml");
    REQUIRE_THAT(cimrt({"publish", original, std::string(CIMRT_SOURCE_DIR) + "/examples/conversation.jsonl"}),
                 ExitsWith(0));
    const auto journal = cimrt({"journal", original, "--json"});
    REQUIRE_THAT(journal, ExitsWith(0));
    REQUIRE(count_of(journal.out, "\"name\":\"BOT_MESSAGE\"") >= 2);
    REQUIRE(count_of(journal.out, "\"name\":\"TOPIC_STATE_CHANGED\"") >= 2);

    const auto replay = cimrt({"publish", copy, "-"}, journal.out);
    REQUIRE_THAT(replay, ExitsWith(0));
    const auto replayed = cimrt({"journal", copy, "--json"});
    REQUIRE_THAT(replayed, ExitsWith(0));
    CHECK(lines_of(replayed.out) == lines_of(journal.out));  // event for event: ids, order, derived events once

    const auto conversation = cimrt({"inspect", original, "conversation", "conv-1", "--json"});
    REQUIRE_THAT(conversation, ExitsWith(0));
    CHECK(cimrt({"inspect", copy, "conversation", "conv-1", "--json"}).out == conversation.out);
}

TEST_CASE("a damaged journal is a store error with what to do about it, and the journal is its owner's alone",
          "[cli][faults]") {
    Workspace ws;
    const std::string config = ws.config("", "kind = \"sqlite\"\npath = \"journal.db\"");
    REQUIRE_THAT(cimrt({"publish", config, "-"}, customer_message + "\n"), ExitsWith(0));
    CHECK((std::filesystem::status(ws.path() / "journal.db").permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    ws.write("journal.db", std::string(8192, 'x'));  // not SQLite at all
    std::filesystem::remove(ws.path() / "journal.db-wal");
    std::filesystem::remove(ws.path() / "journal.db-shm");
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"publish", config, "-"}, std::vector<std::string>{"journal", config}}) {
        const auto result = cimrt(command, customer_message + "\n");
        INFO(command[0]);
        REQUIRE_THAT(result, ExitsWith(4));
        CHECK_THAT(result.err, Catch::StartsWith("store error: ") && Catch::Contains("file is not a database") &&
                                   Catch::Contains("move it aside"));
        CHECK(count_of(result.err, "journal.db") == 1);  // the file is named once, not "store P: store P:"
    }
}
