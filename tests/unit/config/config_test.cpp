#include "config/runtime_config.hpp"

#include <fstream>

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace cim::core;

namespace {

// A folder with a runtime.toml and a fake plugin file, removed afterwards.
struct ConfigDir {
    std::filesystem::path path;
    ConfigDir() {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("cimrt-config-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path / "plugins");
        std::ofstream(path / "plugins" / "greeter.so") << "not really a library; the config layer only checks it exists";
    }
    ~ConfigDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path write(const std::string& text) const {
        std::ofstream(path / "runtime.toml") << text;
        return path / "runtime.toml";
    }
    std::string file() const { return (path / "runtime.toml").string(); }
};

std::string error_of(const std::filesystem::path& file) {
    try {
        load_config_file(file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a typo'd key is named with its position and the key it was meant to be", "[config]") {
    ConfigDir dir;
    const auto file = dir.write("[runtime]\nthreads = 2\nplugin_dirr = \"plugins\"\n");
    REQUIRE(error_of(file) == dir.file() + ":3:1: runtime.plugin_dirr: unknown key 'plugin_dirr'; did you mean 'plugin_dir'?");
    dir.write("[runtime]\n\n  thread = 2\n");
    REQUIRE(error_of(file) == dir.file() + ":3:3: runtime.thread: unknown key 'thread'; did you mean 'threads'?");
    dir.write("[storage]\nkind = \"memory\"\n");
    REQUIRE(error_of(file) == dir.file() + ":1:2: storage: unknown key 'storage'; did you mean 'store'?");
}

TEST_CASE("a value of the wrong type or outside its set is named with its position", "[config]") {
    ConfigDir dir;
    const auto file = dir.write("[runtime]\nthreads = \"two\"\n");
    REQUIRE(error_of(file) == dir.file() + ":2:11: runtime.threads: expected an integer, got a string");
    dir.write("[runtime]\nthreads = 0\n");
    REQUIRE(error_of(file) == dir.file() + ":2:11: runtime.threads: must be at least 1, got 0");
    dir.write("[store]\nkind = \"sqlit\"\n");
    REQUIRE(error_of(file) ==
            dir.file() + ":2:8: store.kind: expected one of \"memory\", \"sqlite\", got \"sqlit\"; did you mean \"sqlite\"?");
    dir.write("[sessions]\ncustomer_inactivity_timeout = \"10 minutes\"\n");
    REQUIRE(error_of(file) == dir.file() +
                                  ":2:31: sessions.customer_inactivity_timeout: expected a duration like \"90s\" or "
                                  "\"10m\", got \"10 minutes\"");
    dir.write("[runtime\nthreads = 2\n");
    REQUIRE_THAT(error_of(file), Catch::StartsWith(dir.file() + ":1:"));
}

TEST_CASE("an enabled plugin's missing file is an error; a disabled plugin is not loaded", "[config]") {
    ConfigDir dir;
    const auto file = dir.write("[runtime]\nplugin_dir = \"plugins\"\n[plugins.bot]\nenabled = true\n");
    REQUIRE(error_of(file) == dir.file() + ":3:1: plugins.bot: plugin file not found: " +
                                  (dir.path / "plugins" / "bot.so").string());
    dir.write("[plugins.greeter]\npath = \"nowhere/greeter.so\"\n");
    REQUIRE(error_of(file) == dir.file() + ":2:8: plugins.greeter.path: plugin file not found: " +
                                  (dir.path / "nowhere" / "greeter.so").string());

    dir.write("[runtime]\nplugin_dir = \"plugins\"\n[plugins.greeter]\ngreeting = \"Hi\"\n[plugins.bot]\nenabled = false\n");
    const RuntimeConfig config = load_config_file(file);
    REQUIRE(config.plugins.size() == 2);
    REQUIRE(config.plugins[0].name == "greeter");  // file order, not key order
    REQUIRE(config.plugins[0].enabled);
    REQUIRE(config.plugins[0].path == dir.path / "plugins" / "greeter.so");
    REQUIRE(config.plugins[0].options == nlohmann::json{{"greeting", "Hi"}});
    REQUIRE(config.plugins[1].name == "bot");
    REQUIRE_FALSE(config.plugins[1].enabled);
}

TEST_CASE("defaults, relative paths and durations", "[config]") {
    ConfigDir dir;
    const RuntimeConfig config = load_config_file(dir.write(
        "[runtime]\nthreads = 4\n[store]\npath = \"data/j.db\"\nsync = \"full\"\n[sessions]\n"
        "customer_inactivity_timeout = \"90s\"\n"));
    REQUIRE(config.runtime.threads == 4);
    REQUIRE(config.runtime.shards == 64);
    REQUIRE(config.runtime.plugin_dir == dir.path / "build" / "plugins");
    REQUIRE(config.store.kind == "sqlite");
    REQUIRE(config.store.path == dir.path / "data" / "j.db");  // against the file's folder, not the cwd
    REQUIRE(config.store.sync == "full");
    REQUIRE(config.sessions.customer_inactivity_timeout == std::chrono::seconds(90));

    REQUIRE(parse_duration("250ms") == std::chrono::milliseconds(250));
    REQUIRE(parse_duration("2h") == std::chrono::hours(2));
    REQUIRE_FALSE(parse_duration("0s"));
    REQUIRE_FALSE(parse_duration("10"));
    REQUIRE_FALSE(parse_duration("m"));
}
