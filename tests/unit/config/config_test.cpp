#include "config/runtime_config.hpp"

#include <fstream>

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace cim::core;

namespace {

// A fresh folder holding a runtime.toml and a fake greeter plugin, removed afterwards.
struct ConfigDir {
    std::filesystem::path path;
    ConfigDir() {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("cimrt-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path / "plugins");
        std::ofstream(path / "plugins" / "greeter.so") << "not a library; the config layer only checks that it exists";
    }
    ~ConfigDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    ConfigDir(const ConfigDir&) = delete;
    ConfigDir& operator=(const ConfigDir&) = delete;

    std::filesystem::path write(const std::string& text, const std::string& relative = "runtime.toml") const {
        const std::filesystem::path file = path / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
        return file;
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

std::string error_of_text(const std::string& text) {
    try {
        parse_config(text, "runtime.toml", "/nonexistent-config-dir");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a typo'd key is named with its position and, when close, the key it was meant to be", "[config]") {
    ConfigDir dir;
    const auto file = dir.write("[runtime]\nthreads = 2\nplugin_dirr = \"plugins\"\n");
    CHECK(error_of(file) == dir.file() + ":3:1: runtime.plugin_dirr: unknown key 'plugin_dirr'; did you mean 'plugin_dir'?");

    CHECK(error_of_text("[runtime]\n\n  thread = 2\n") ==
          "runtime.toml:3:3: runtime.thread: unknown key 'thread'; did you mean 'threads'?");
    CHECK(error_of_text("[runtime]\nThreads = 2\n") ==
          "runtime.toml:2:1: runtime.Threads: unknown key 'Threads'; did you mean 'threads'?");
    CHECK(error_of_text("[runtime]\nworkers = 2\n") == "runtime.toml:2:1: runtime.workers: unknown key 'workers'");
    CHECK(error_of_text("[store]\nknd = \"memory\"\n") ==
          "runtime.toml:2:1: store.knd: unknown key 'knd'; did you mean 'kind'?");
    CHECK(error_of_text("[sessions]\ncustomer_timeout = \"5m\"\n") ==
          "runtime.toml:2:1: sessions.customer_timeout: unknown key 'customer_timeout'");
    CHECK(error_of_text("[storage]\nkind = \"memory\"\n") ==
          "runtime.toml:1:2: storage: unknown key 'storage'; did you mean 'store'?");
    CHECK(error_of_text("[plugin.bot]\n") == "runtime.toml:1:2: plugin: unknown key 'plugin'; did you mean 'plugins'?");
    // Reported in the order written, not toml++'s sorted order.
    CHECK(error_of_text("[runtime]\nthredas = 1\nplugin_dirr = \"x\"\n") ==
          "runtime.toml:2:1: runtime.thredas: unknown key 'thredas'; did you mean 'threads'?");
}

TEST_CASE("a value of the wrong type is named with its position", "[config]") {
    CHECK(error_of_text("[runtime]\nthreads = \"two\"\n") ==
          "runtime.toml:2:11: runtime.threads: expected an integer, got a string");
    CHECK(error_of_text("[runtime]\nthreads = 2.5\n") ==
          "runtime.toml:2:11: runtime.threads: expected an integer, got a float");
    CHECK(error_of_text("[runtime]\nthreads = 0\n") == "runtime.toml:2:11: runtime.threads: must be at least 1, got 0");
    CHECK(error_of_text("[runtime]\nshard_capacity = -4\n") ==
          "runtime.toml:2:18: runtime.shard_capacity: must be at least 1, got -4");
    CHECK(error_of_text("[runtime]\nplugin_dir = 3\n") ==
          "runtime.toml:2:14: runtime.plugin_dir: expected a string, got an integer");
    CHECK(error_of_text("runtime = 3\n") == "runtime.toml:1:11: runtime: expected a table, got an integer");
    CHECK(error_of_text("[plugins]\nbot = true\n") == "runtime.toml:2:7: plugins.bot: expected a table, got a boolean");
    CHECK(error_of_text("[plugins.bot]\nenabled = \"yes\"\n") ==
          "runtime.toml:2:11: plugins.bot.enabled: expected a boolean, got a string");
    CHECK(error_of_text("[plugins.bot]\nenabled = false\npath = [\"a.so\"]\n") ==
          "runtime.toml:3:8: plugins.bot.path: expected a string, got an array");
}

TEST_CASE("an enum value outside its set is named, with a suggestion when one is close", "[config]") {
    CHECK(error_of_text("[store]\nkind = \"sqlit\"\n") ==
          "runtime.toml:2:8: store.kind: expected one of \"memory\", \"sqlite\", got \"sqlit\"; did you mean \"sqlite\"?");
    CHECK(error_of_text("[store]\nsync = \"FULL\"\n") ==
          "runtime.toml:2:8: store.sync: expected one of \"off\", \"normal\", \"full\", got \"FULL\"; did you mean \"full\"?");
    CHECK(error_of_text("[store]\nsync = \"fast\"\n") ==
          "runtime.toml:2:8: store.sync: expected one of \"off\", \"normal\", \"full\", got \"fast\"");
}

TEST_CASE("durations: a positive integer and a unit", "[config]") {
    CHECK(error_of_text("[sessions]\ncustomer_inactivity_timeout = \"10 minutes\"\n") ==
          "runtime.toml:2:31: sessions.customer_inactivity_timeout: expected a duration like \"90s\" or \"10m\", got "
          "\"10 minutes\"");
    CHECK(error_of_text("[sessions]\nclosed_grace = \"soon\"\n") ==
          "runtime.toml:2:16: sessions.closed_grace: expected a duration like \"90s\" or \"10m\", got \"soon\"");
    CHECK(error_of_text("[store]\nsnapshot_interval = -1\n") ==
          "runtime.toml:2:21: store.snapshot_interval: must be at least 0, got -1");
    CHECK(error_of_text("[sessions]\ncustomer_inactivity_timeout = 600\n") ==
          "runtime.toml:2:31: sessions.customer_inactivity_timeout: expected a duration like \"90s\" or \"10m\", got "
          "an integer");

    CHECK(parse_duration("250ms") == std::chrono::milliseconds(250));
    CHECK(parse_duration("90s") == std::chrono::seconds(90));
    CHECK(parse_duration("10m") == std::chrono::minutes(10));
    CHECK(parse_duration("2h") == std::chrono::hours(2));
    for (const char* bad : {"", "0s", "-5s", "+5s", "10", "m", "10 m", " 10m", "1.5h", "10M", "10min", "5d",
                            "9223372036854775807h", "99999999999999999999s"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
}

TEST_CASE("a TOML syntax error is reported where the parser stopped", "[config]") {
    ConfigDir dir;
    CHECK(error_of(dir.write("[runtime\nthreads = 2\n")) ==
          dir.file() + ":1:9: Error while parsing table header: expected ']', saw '\\n'");
    CHECK(error_of_text("[runtime]\nthreads = \n") ==
          "runtime.toml:2:11: Error while parsing key-value pair: expected value, saw '\\n'");
    CHECK(error_of_text("[runtime]\nthreads = 1\nthreads = 2\n") ==
          "runtime.toml:3:11: Error while parsing key-value pair: cannot redefine existing integer 'threads'");
}

TEST_CASE("the file itself must be readable", "[config]") {
    ConfigDir dir;
    CHECK(error_of(dir.path / "missing.toml") == (dir.path / "missing.toml").string() + ": no such file");
    CHECK(error_of(dir.path) == dir.path.string() + ": is a folder, not a file");
}

TEST_CASE("an enabled plugin's missing file is an error, a disabled plugin's is not", "[config]") {
    ConfigDir dir;
    // Defaulted path: reported at the table header, since no key names the file.
    CHECK(error_of(dir.write("[runtime]\nplugin_dir = \"plugins\"\n[plugins.bot]\nenabled = true\n")) ==
          dir.file() + ":3:1: plugins.bot: plugin file not found: " + (dir.path / "plugins" / "bot.so").string());
    // Explicit path: reported at the value.
    CHECK(error_of(dir.write("[plugins.greeter]\npath = \"nowhere/greeter.so\"\n")) ==
          dir.file() + ":2:8: plugins.greeter.path: plugin file not found: " +
              (dir.path / "nowhere" / "greeter.so").string());

    const RuntimeConfig config = load_config_file(dir.write(
        "[runtime]\nplugin_dir = \"plugins\"\n"
        "[plugins.greeter]\ngreeting = \"Hi\"\n"
        "[plugins.bot]\nenabled = false\nmodel = \"rules\"\n"
        "[plugins.agent]\nenabled = false\npath = \"missing/agent.so\"\n"));
    REQUIRE(config.plugins.size() == 3);
    CHECK(config.plugins[0].name == "greeter");  // file order, not key order
    CHECK(config.plugins[0].enabled);
    CHECK(config.plugins[0].path == dir.path / "plugins" / "greeter.so");
    CHECK(config.plugins[0].options == nlohmann::json{{"greeting", "Hi"}});
    CHECK(config.plugins[0].where.to_string() == dir.file() + ":3:1");
    CHECK(config.plugins[1].name == "bot");
    CHECK_FALSE(config.plugins[1].enabled);
    CHECK(config.plugins[1].path == dir.path / "plugins" / "bot.so");
    CHECK(config.plugins[1].options == nlohmann::json{{"model", "rules"}});  // `enabled` and `path` are the runtime's
    CHECK(config.plugins[2].name == "agent");
    CHECK_FALSE(config.plugins[2].enabled);
    CHECK(config.plugins[2].path == dir.path / "missing" / "agent.so");
}

TEST_CASE("plugin names are restricted to what is safe in a file name and a label", "[config]") {
    CHECK(error_of_text("[plugins.Bot]\nenabled = false\n") ==
          "runtime.toml:1:1: plugins.Bot: a plugin name may hold only a-z, 0-9, '_' and '-'");
    CHECK(error_of_text("[plugins.\"my bot\"]\nenabled = false\n") ==
          "runtime.toml:1:1: plugins.\"my bot\": a plugin name may hold only a-z, 0-9, '_' and '-'");
    CHECK(error_of_text("[plugins.\"\"]\nenabled = false\n") ==
          "runtime.toml:1:1: plugins.\"\": a plugin name may hold only a-z, 0-9, '_' and '-'");
    CHECK(parse_config("[plugins.web-chat_2]\nenabled = false\n", "runtime.toml", "/").plugins.at(0).name == "web-chat_2");
}

TEST_CASE("relative paths resolve against the config file's folder, not the working directory", "[config]") {
    ConfigDir dir;
    dir.write("", "conf/plugins/greeter.so");
    const RuntimeConfig config = load_config_file(dir.write(
        "[runtime]\nplugin_dir = \"plugins\"\n"
        "[store]\npath = \"data/../var/./j.db\"\n"
        "[plugins.greeter]\n"
        "[plugins.bot]\npath = \"../plugins/greeter.so\"\n",
        "conf/runtime.toml"));
    CHECK(config.file == dir.path / "conf" / "runtime.toml");
    CHECK(config.base_dir == dir.path / "conf");
    CHECK(config.runtime.plugin_dir == dir.path / "conf" / "plugins");
    CHECK(config.store.path == dir.path / "conf" / "var" / "j.db");
    CHECK(config.plugins.at(0).path == dir.path / "conf" / "plugins" / "greeter.so");
    CHECK(config.plugins.at(1).path == dir.path / "plugins" / "greeter.so");

    const RuntimeConfig absolute = parse_config("[store]\npath = \"/srv/cimrt/j.db\"\n", "<string>", dir.path);
    CHECK(absolute.store.path == "/srv/cimrt/j.db");
}

TEST_CASE("defaults: an empty file is a complete configuration", "[config]") {
    const RuntimeConfig config = parse_config("", "<string>", "/etc/cimrt");
    CHECK(config.file == "<string>");
    CHECK(config.base_dir == "/etc/cimrt");
    CHECK(config.runtime.threads == 2);
    CHECK(config.runtime.plugin_dir == "/etc/cimrt/build/plugins");
    CHECK(config.runtime.shards == 64);
    CHECK(config.runtime.shard_capacity == 4096);
    CHECK(config.store.kind == "sqlite");
    CHECK(config.store.path == "/etc/cimrt/var/cimrt.db");
    CHECK(config.store.sync == "normal");
    CHECK(config.sessions.customer_inactivity_timeout == std::chrono::minutes(10));
    CHECK(config.sessions.closed_grace == std::chrono::minutes(10));
    CHECK(config.store.snapshot_interval == 100000);
    CHECK(config.plugins.empty());

    const RuntimeConfig set = parse_config(
        "[runtime]\nthreads = 4\nshards = 8\nshard_capacity = 16\n[store]\nkind = \"memory\"\nsync = \"full\"\n"
        "snapshot_interval = 0\n[sessions]\ncustomer_inactivity_timeout = \"90s\"\nclosed_grace = \"30s\"\n",
        "<string>", "/etc/cimrt");
    CHECK(set.runtime.threads == 4);
    CHECK(set.runtime.shards == 8);
    CHECK(set.runtime.shard_capacity == 16);
    CHECK(set.store.kind == "memory");
    CHECK(set.store.sync == "full");
    CHECK(set.sessions.customer_inactivity_timeout == std::chrono::seconds(90));
    CHECK(set.sessions.closed_grace == std::chrono::seconds(30));
    CHECK(set.store.snapshot_interval == 0);
}

TEST_CASE("a plugin's options become JSON, every key's position kept by JSON pointer", "[config]") {
    const RuntimeConfig config = parse_config(
        "[plugins.channel]\n"                                        // 1
        "enabled = false\n"                                          // 2
        "listen = \"127.0.0.1:8080\"\n"                              // 3
        "workers = 4\n"                                              // 4
        "ratio = 0.25\n"                                             // 5
        "tls = false\n"                                              // 6
        "ports = [80, 443]\n"                                        // 7
        "matrix = [[1, 2], [\"a\"]]\n"                               // 8
        "limits = { burst = 10, per = \"1s\" }\n"                    // 9
        "since = 2026-11-25\n"                                       // 10
        "at = 07:32:00\n"                                            // 11
        "stamp = 2026-11-25T06:00:00Z\n"                             // 12
        "\"a/b\" = 1\n"                                              // 13
        "[plugins.channel.db]\n"                                     // 14
        "host = \"db\"\n"                                            // 15
        "  [plugins.channel.db.pool]\n"                              // 16
        "  size = 5\n"                                               // 17
        "[[plugins.channel.agents]]\n"                               // 18
        "id = \"a1\"\n"                                              // 19
        "[[plugins.channel.agents]]\n"                               // 20
        "id = \"a2\"\n"                                              // 21
        "skills = [\"voice\"]\n",                                    // 22
        "runtime.toml", "/");
    const PluginSection& channel = config.plugins.at(0);
    CHECK(channel.options == nlohmann::json::parse(R"({
        "listen": "127.0.0.1:8080", "workers": 4, "ratio": 0.25, "tls": false,
        "ports": [80, 443], "matrix": [[1, 2], ["a"]], "limits": {"burst": 10, "per": "1s"},
        "since": "2026-11-25", "at": "07:32:00", "stamp": "2026-11-25T06:00:00Z", "a/b": 1,
        "db": {"host": "db", "pool": {"size": 5}},
        "agents": [{"id": "a1"}, {"id": "a2", "skills": ["voice"]}]})"));
    CHECK(channel.options["workers"].is_number_integer());
    CHECK(channel.options["ratio"].is_number_float());

    const auto at = [&](const std::string& pointer) {
        const auto it = channel.option_positions.find(pointer);
        return it == channel.option_positions.end() ? std::string("(none)") : it->second.to_string();
    };
    CHECK(at("/listen") == "runtime.toml:3:1");
    CHECK(at("/ports/1") == "runtime.toml:7:14");
    CHECK(at("/matrix/1") == "runtime.toml:8:19");
    CHECK(at("/matrix/1/0") == "runtime.toml:8:20");
    CHECK(at("/limits/per") == "runtime.toml:9:24");
    CHECK(at("/a~1b") == "runtime.toml:13:1");
    CHECK(at("/db/host") == "runtime.toml:15:1");
    CHECK(at("/db/pool/size") == "runtime.toml:17:3");
    CHECK(at("/agents/1") == "runtime.toml:20:1");
    CHECK(at("/agents/1/skills/0") == "runtime.toml:22:11");
    CHECK(at("/enabled") == "(none)");

    CHECK(error_of_text("[plugins.bot]\nenabled = false\n[plugins.bot.tuning]\nrate = nan\n") ==
          "runtime.toml:4:8: plugins.bot.tuning.rate: nan and inf cannot be passed to a plugin (JSON has no such number)");
}

TEST_CASE("positions and errors render as file:line:column: key: problem", "[config]") {
    CHECK(SourcePosition{"runtime.toml", 3, 1}.to_string() == "runtime.toml:3:1");
    CHECK(SourcePosition{"runtime.toml", 0, 0}.to_string() == "runtime.toml");
    const ConfigError error({"runtime.toml", 3, 1}, "runtime.thread", "unknown key 'thread'");
    CHECK(std::string(error.what()) == "runtime.toml:3:1: runtime.thread: unknown key 'thread'");
    CHECK(error.where().line == 3);
    CHECK(error.key_path() == "runtime.thread");
    CHECK(error.problem() == "unknown key 'thread'");
    CHECK(std::string(ConfigError({"x.toml", 1, 2}, "", "bad").what()) == "x.toml:1:2: bad");
}

TEST_CASE("a plugin file name the file system refuses is a config error at its position, not an exception",
          "[config]") {
    ConfigDir dir;
    const std::string long_name(300, 'a');
    const std::string error = error_of(dir.write("[plugins.x]\npath = \"/tmp/" + long_name + ".so\"\n"));
    CHECK_THAT(error, Catch::StartsWith(dir.file() + ":2:8: plugins.x.path: plugin file not found: /tmp/" + long_name));
    CHECK_THAT(error, Catch::EndsWith("(File name too long)"));
}

TEST_CASE("metrics.listen takes an IP address and a port, and says what is wrong with anything else", "[config]") {
    CHECK_FALSE(parse_config("", "<string>", "/").metrics.enabled());  // off unless set
    const RuntimeConfig v4 = parse_config("[metrics]\nlisten = \"127.0.0.1:9464\"\n", "<string>", "/");
    CHECK(v4.metrics.host == "127.0.0.1");
    CHECK(v4.metrics.port == 9464);
    const RuntimeConfig v6 = parse_config("[metrics]\nlisten = \"[::1]:9464\"\n", "<string>", "/");
    CHECK(v6.metrics.host == "::1");
    CHECK_THAT(error_of_text("[metrics]\nlisten = \"localhost:9464\"\n"),
               Catch::Contains("runtime.toml:2:10") && Catch::Contains("metrics.listen") &&
                   Catch::Contains("not an IP address (names are not resolved)"));
    CHECK_THAT(error_of_text("[metrics]\nlisten = \"127.0.0.1\"\n"), Catch::Contains("has no port"));
    CHECK_THAT(error_of_text("[metrics]\nlisten = \"127.0.0.1:70000\"\n"), Catch::Contains("is not a port (1-65535)"));
    CHECK_THAT(error_of_text("[metrics]\nlisten = \"::1:9464\"\n"), Catch::Contains("in brackets"));
    CHECK_THAT(error_of_text("[metrics]\nlisen = \"127.0.0.1:9464\"\n"), Catch::Contains("did you mean 'listen'"));
    CHECK_THAT(error_of_text("[metric]\nlisten = \"127.0.0.1:9464\"\n"), Catch::Contains("did you mean 'metrics'"));
}
