#include "config/runtime_config.hpp"

#include <catch2/catch.hpp>

using namespace cim::core;
using nlohmann::json;

namespace {

const std::string bot_schema = R"({
  "type": "object",
  "properties": {
    "greeting": {"type": "string", "default": "Hello", "description": "What the bot says first"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "ratio": {"type": "number", "minimum": 0, "maximum": 1},
    "name": {"type": "string", "minLength": 3},
    "token": {"type": "string", "minLength": 1},
    "mode": {"type": "string", "enum": ["rules", "rasa"], "default": "rules"},
    "level": {"type": ["string", "integer"]},
    "timeout": {"type": "string", "format": "duration", "default": "5s"},
    "db": {"type": "object", "properties": {"host": {"type": "string"}, "pool": {"type": "integer", "default": 4}},
           "required": ["host"]},
    "labels": {"type": "object"},
    "agents": {"type": "array", "items": {
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1}, "capacity": {"type": "integer", "minimum": 1, "default": 1}},
        "required": ["id"]}}
  },
  "required": ["port"]
})";

// The [plugins.bot] table (header on line 1, `enabled` on line 2) followed by `table`, which starts on line 3.
PluginSection plugin_from(const std::string& table) {
    RuntimeConfig config = parse_config("[plugins.bot]\nenabled = false\n" + table, "runtime.toml", "/");
    return config.plugins.at(0);
}

std::string violation(const std::string& table, const std::string& schema = bot_schema) {
    PluginSection plugin = plugin_from(table);
    try {
        apply_plugin_schema(plugin, schema);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("schema: an unknown key is named at its position, with the declared key it was meant to be", "[config][schema]") {
    CHECK(violation("port = 80\ngreting = \"x\"\n") ==
          "runtime.toml:4:1: plugins.bot.greting: unknown key 'greting'; did you mean 'greeting'?");
    CHECK(violation("port = 80\nverbose = true\n") == "runtime.toml:4:1: plugins.bot.verbose: unknown key 'verbose'");
    CHECK(violation("port = 80\n[plugins.bot.db]\nhost = \"db\"\n  hots = \"db\"\n") ==
          "runtime.toml:6:3: plugins.bot.db.hots: unknown key 'hots'; did you mean 'host'?");
    CHECK(violation("port = 80\n\"a.b\" = 1\n") == "runtime.toml:4:1: plugins.bot.\"a.b\": unknown key 'a.b'; did you mean 'db'?");
    // The first in the file is reported, not the first alphabetically.
    CHECK(violation("port = 80\nzeta = 1\nalpha = 2\n") == "runtime.toml:4:1: plugins.bot.zeta: unknown key 'zeta'");
}

TEST_CASE("schema: a value of the wrong type", "[config][schema]") {
    CHECK(violation("port = \"80\"\n") == "runtime.toml:3:1: plugins.bot.port: expected an integer, got a string");
    CHECK(violation("\n        port = \"80\"\n") == "runtime.toml:4:9: plugins.bot.port: expected an integer, got a string");
    CHECK(violation("port = 80.0\n") == "runtime.toml:3:1: plugins.bot.port: expected an integer, got a float");
    CHECK(violation("port = 80\nratio = 1\n") == "no error");  // an integer is a number
    CHECK(violation("port = 80\nratio = true\n") == "runtime.toml:4:1: plugins.bot.ratio: expected a number, got a boolean");
    CHECK(violation("port = 80\nlevel = false\n") ==
          "runtime.toml:4:1: plugins.bot.level: expected a string or an integer, got a boolean");
    CHECK(violation("port = 80\ndb = \"db.local\"\n") == "runtime.toml:4:1: plugins.bot.db: expected a table, got a string");
    CHECK(violation("port = 80\nagents = { id = \"a\" }\n") ==
          "runtime.toml:4:1: plugins.bot.agents: expected an array, got a table");
    CHECK(violation("port = 80\nagents = [{ id = 7 }]\n") ==
          "runtime.toml:4:13: plugins.bot.agents[0].id: expected a string, got an integer");
}

TEST_CASE("schema: enums, bounds, lengths and durations", "[config][schema]") {
    CHECK(violation("port = 80\nmode = \"rasta\"\n") ==
          "runtime.toml:4:1: plugins.bot.mode: expected one of \"rules\", \"rasa\", got \"rasta\"; did you mean \"rasa\"?");
    CHECK(violation("port = 80\nmode = \"llm\"\n") ==
          "runtime.toml:4:1: plugins.bot.mode: expected one of \"rules\", \"rasa\", got \"llm\"");
    CHECK(violation("port = 0\n") == "runtime.toml:3:1: plugins.bot.port: must be at least 1");
    CHECK(violation("port = 70000\n") == "runtime.toml:3:1: plugins.bot.port: must be at most 65535");
    CHECK(violation("port = 80\nratio = 1.5\n") == "runtime.toml:4:1: plugins.bot.ratio: must be at most 1");
    CHECK(violation("port = 80\nname = \"ab\"\n") ==
          "runtime.toml:4:1: plugins.bot.name: must be at least 3 characters long");
    CHECK(violation("port = 80\nname = \"été\"\n") == "no error");  // characters, not bytes
    CHECK(violation("port = 80\ntoken = \"\"\n") == "runtime.toml:4:1: plugins.bot.token: must not be empty");
    CHECK(violation("port = 80\ntimeout = \"soon\"\n") ==
          "runtime.toml:4:1: plugins.bot.timeout: expected a duration like \"90s\" or \"10m\", got \"soon\"");
    CHECK(violation("port = 80\n[[plugins.bot.agents]]\nid = \"a1\"\ncapacity = 0\n") ==
          "runtime.toml:6:1: plugins.bot.agents[0].capacity: must be at least 1");
}

TEST_CASE("schema: a missing required key is reported at the enclosing table", "[config][schema]") {
    CHECK(violation("greeting = \"x\"\n") == "runtime.toml:1:1: plugins.bot.port: required key is missing");
    CHECK(violation("port = 80\n[plugins.bot.db]\npool = 2\n") ==
          "runtime.toml:4:14: plugins.bot.db.host: required key is missing");
    CHECK(violation("port = 80\n[[plugins.bot.agents]]\nid = \"a1\"\n[[plugins.bot.agents]]\ncapacity = 2\n") ==
          "runtime.toml:6:1: plugins.bot.agents[1].id: required key is missing");
}

TEST_CASE("schema: open and closed objects", "[config][schema]") {
    // A declared object without properties is a free-form map.
    CHECK(violation("port = 80\n[plugins.bot.labels]\nteam = \"blue\"\nfloor = 3\n") == "no error");
    CHECK(violation("x = 1\n", R"({"type": "object", "properties": {}, "additionalProperties": true})") == "no error");
    CHECK(violation("x = 1\n", R"({"type": "object"})") == "runtime.toml:3:1: plugins.bot.x: unknown key 'x'");
    CHECK(violation("x = 1\n", R"({"properties": {"y": {"type": "object", "properties": {}}}})") ==
          "runtime.toml:3:1: plugins.bot.x: unknown key 'x'; did you mean 'y'?");
    CHECK(violation("[plugins.bot.y]\nz = 1\n", R"({"properties": {"y": {"type": "object", "properties": {}}}})") ==
          "runtime.toml:4:1: plugins.bot.y.z: unknown key 'z'");
}

TEST_CASE("schema: a plugin without a schema takes no options", "[config][schema]") {
    CHECK(violation("x = 1\n", "") == "runtime.toml:3:1: plugins.bot.x: unknown key 'x' (plugin 'bot' takes no options)");
    CHECK(violation("zeta = 1\nalpha = 2\n", "") ==
          "runtime.toml:3:1: plugins.bot.zeta: unknown key 'zeta' (plugin 'bot' takes no options)");
    PluginSection empty = plugin_from("");
    CHECK_NOTHROW(apply_plugin_schema(empty, ""));
    CHECK(empty.options == json::object());
}

TEST_CASE("schema: a broken schema is reported as the plugin's fault", "[config][schema]") {
    CHECK(violation("", "{not json") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: parse error at line 1, column "
          "3: syntax error while parsing object key - invalid literal; last read: '{no'; expected string literal");
    CHECK(violation("", R"({"properties": {"port": {"type": "integer", "minimum": "1"}}})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /properties/port/minimum: "
          "must be a number");
    CHECK(violation("", R"({"properties": {"port": {"type": "int"}}})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /properties/port/type: "
          "unknown type \"int\"");
    CHECK(violation("", R"({"additionalProperties": {"type": "string"}})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /additionalProperties: "
          "must be true or false (schemas are not supported here)");
    CHECK(violation("", R"({"required": "port"})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /required: must be an array "
          "of key names");
    CHECK(violation("", R"({"properties": {"tags": {"items": []}}})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /properties/tags/items: a "
          "schema must be a JSON object");
    CHECK(violation("", R"({"type": "string"})") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: /type: the root schema must "
          "be of type \"object\"");
    CHECK(violation("", "[]") ==
          "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: the schema must be a JSON "
          "object");
    // Keywords outside the subset are annotations, as in JSON Schema.
    CHECK(violation("", R"({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "bot"})") == "no error");
}

TEST_CASE("schema: declared defaults are filled in, recursively", "[config][schema]") {
    PluginSection plugin = plugin_from(
        "port = 8080\n[plugins.bot.db]\nhost = \"db\"\n"
        "[[plugins.bot.agents]]\nid = \"a1\"\ncapacity = 2\n[[plugins.bot.agents]]\nid = \"a2\"\n");
    apply_plugin_schema(plugin, bot_schema);
    CHECK(plugin.options == json{{"port", 8080},
                                 {"greeting", "Hello"},
                                 {"mode", "rules"},
                                 {"timeout", "5s"},
                                 {"db", {{"host", "db"}, {"pool", 4}}},
                                 {"agents", {{{"id", "a1"}, {"capacity", 2}}, {{"id", "a2"}, {"capacity", 1}}}}});

    // An absent object is created when its keys have defaults, and a default object is completed.
    const std::string nested = R"({"properties": {
        "retry": {"type": "object", "properties": {"times": {"type": "integer", "default": 3},
                                                   "wait": {"type": "string", "format": "duration", "default": "1s"}}},
        "tls": {"type": "object", "default": {"verify": false},
                "properties": {"verify": {"type": "boolean"}, "ca": {"type": "string", "default": "/etc/ssl/ca.pem"}}},
        "auth": {"type": "object", "required": ["user"],
                 "properties": {"user": {"type": "string"}, "realm": {"type": "string", "default": "cim"}}}}})";
    PluginSection defaults = plugin_from("");
    apply_plugin_schema(defaults, nested);
    CHECK(defaults.options == json{{"retry", {{"times", 3}, {"wait", "1s"}}},
                                   {"tls", {{"verify", false}, {"ca", "/etc/ssl/ca.pem"}}}});

    // A violation leaves the options as the operator wrote them.
    PluginSection rejected = plugin_from("port = 0\n");
    CHECK_THROWS_AS(apply_plugin_schema(rejected, bot_schema), ConfigError);
    CHECK(rejected.options == json{{"port", 0}});
}

TEST_CASE("schema: a violation found in a defaulted-away position falls back to the table header", "[config][schema]") {
    PluginSection plugin = plugin_from("port = 80\n");
    plugin.option_positions.clear();  // as for options built without a file
    try {
        apply_plugin_schema(plugin, R"({"properties": {"port": {"type": "string"}}})");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == "runtime.toml:1:1: plugins.bot.port: expected a string, got an integer");
        CHECK(e.key_path() == "plugins.bot.port");
        CHECK(e.problem() == "expected a string, got an integer");
    }
}

TEST_CASE("schema: a duration default the plugin could not parse is the plugin's defect, named at load",
          "[config][schema]") {
    const std::string schema = R"({"type": "object", "properties": {"timeout": {"type": "string", "format": "duration",
                                   "default": "soon"}}})";
    CHECK(violation("", schema) == "runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema: "
                                   "/properties/timeout/default: must be a duration like \"90s\" or \"10m\" (its "
                                   "format is \"duration\"), not \"soon\"");
    CHECK(violation("", R"({"type": "object", "properties": {"timeout": {"type": "string", "format": "duration",
                          "default": "90s"}}})") == "no error");
}
