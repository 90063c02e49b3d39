#include "config/runtime_config.hpp"

#include <catch2/catch.hpp>

using namespace cim::core;

namespace {

const std::string schema = R"({
  "type": "object",
  "properties": {
    "greeting": {"type": "string", "default": "Hello"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "mode": {"type": "string", "enum": ["rules", "rasa"], "default": "rules"},
    "timeout": {"type": "string", "format": "duration", "default": "5s"},
    "agents": {"type": "array", "items": {
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1}, "capacity": {"type": "integer", "minimum": 1}},
        "required": ["id"]}}
  },
  "required": ["port"]
})";

PluginSection plugin_from(const std::string& table) {
    RuntimeConfig config = parse_config("[plugins.bot]\nenabled = false\n" + table, "runtime.toml", "/tmp");
    return config.plugins.at(0);
}

std::string violation(const std::string& table, const std::string& with_schema = schema) {
    PluginSection plugin = plugin_from(table);
    try {
        apply_plugin_schema(plugin, with_schema);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("plugin options are checked against the plugin's schema at the offending key", "[config][schema]") {
    REQUIRE(violation("port = 80\ngreting = \"x\"\n") ==
            "runtime.toml:4:1: plugins.bot.greting: unknown key 'greting'; did you mean 'greeting'?");
    REQUIRE(violation("port = \"80\"\n") == "runtime.toml:3:1: plugins.bot.port: expected an integer, got a string");
    REQUIRE(violation("port = 70000\n") == "runtime.toml:3:1: plugins.bot.port: must be at most 65535");
    REQUIRE(violation("greeting = \"x\"\n") == "runtime.toml:1:1: plugins.bot.port: required key is missing");
    REQUIRE(violation("port = 80\nmode = \"rasta\"\n") ==
            "runtime.toml:4:1: plugins.bot.mode: expected one of [\"rules\",\"rasa\"], got \"rasta\"; did you mean \"rasa\"?");
    REQUIRE(violation("port = 80\ntimeout = \"soon\"\n") ==
            "runtime.toml:4:1: plugins.bot.timeout: expected a duration like \"90s\" or \"10m\", got \"soon\"");
    REQUIRE(violation("port = 80\n[[plugins.bot.agents]]\nid = \"a1\"\ncapacity = 0\n") ==
            "runtime.toml:6:1: plugins.bot.agents[0].capacity: must be at least 1");
    REQUIRE(violation("port = 80\n[[plugins.bot.agents]]\ncapacity = 2\n") ==
            "runtime.toml:4:1: plugins.bot.agents[0].id: required key is missing");
}

TEST_CASE("a plugin without a schema takes no options; a broken schema is the plugin's fault", "[config][schema]") {
    REQUIRE(violation("x = 1\n", "") == "runtime.toml:3:1: plugins.bot.x: unknown key 'x' (plugin 'bot' takes no options)");
    REQUIRE_THAT(violation("", "{not json"),
                 Catch::StartsWith("runtime.toml:1:1: plugins.bot: plugin 'bot' declares an invalid config schema:"));
    PluginSection empty = plugin_from("");
    REQUIRE_NOTHROW(apply_plugin_schema(empty, ""));
}

TEST_CASE("declared defaults are filled in and TOML becomes JSON", "[config][schema]") {
    PluginSection plugin = plugin_from("port = 8080\n[[plugins.bot.agents]]\nid = \"a1\"\ncapacity = 2\n");
    apply_plugin_schema(plugin, schema);
    REQUIRE(plugin.options == nlohmann::json{{"port", 8080},
                                             {"greeting", "Hello"},
                                             {"mode", "rules"},
                                             {"timeout", "5s"},
                                             {"agents", {{{"id", "a1"}, {"capacity", 2}}}}});
}
