#include "plugin/plugin_library.hpp"

#include <dlfcn.h>

#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cim/runtime/runtime.hpp"
#include "cim/version.h"

using cim::core::PluginLibrary;
using cim::core::PluginLoadError;

namespace {

const std::filesystem::path fixtures = CIMRT_TEST_PLUGIN_DIR;
const std::string host_abi = CIM_ABI_VERSION_STRING;

// An in-process handler that plays the rest of the contact center: it consumes what the plugin under test publishes
// and lets the test publish what the plugin consumes.
class Probe : public cim::runtime::Handler {
public:
    explicit Probe(std::vector<std::string> consumes) : consumes_(std::move(consumes)) {}
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "probe";
        m.version = "1";
        m.consumes = consumes_;
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back({std::string(event.name()), std::string(event.conversation_id()), std::string(event.data_text()),
                         std::string(event.refers_to())});
    }
    struct Seen {
        std::string name, conversation, data, refers_to;
    };
    std::vector<Seen> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    std::vector<std::string> consumes_;
    mutable std::mutex mutex_;
    std::vector<Seen> seen_;
};

std::string config_with(const std::string& plugin_tables) {
    return "[runtime]\nthreads = 2\nplugin_dir = \"" + fixtures.string() + "\"\n[store]\nkind = \"memory\"\n" +
           plugin_tables;
}

// Starts a runtime with `plugins` and a probe, publishes one customer message, drains and stops.
std::vector<Probe::Seen> exchange(const std::string& plugin_tables, std::vector<std::string> probe_consumes,
                                  cim::runtime::Metrics* metrics = nullptr) {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::Runtime::from_string(config_with(plugin_tables), fixtures, quiet);
    auto probe = std::make_shared<Probe>(std::move(probe_consumes));
    runtime->add_handler(probe);
    runtime->start();
    const auto result = runtime->publish_json(
        R"({"id":"m1","name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1",)"
        R"("emitter":{"id":"u1","type":"CUSTOMER"},"data":{"body":{"type":"PLAIN","markdownText":"hi"}}})");
    REQUIRE(result.accepted());
    runtime->drain();
    if (metrics != nullptr) *metrics = runtime->metrics();
    runtime->stop();
    return probe->seen();
}

bool is_loaded(const std::filesystem::path& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return false;
    dlclose(handle);
    return true;
}

}  // namespace

TEST_CASE("a minimal C++ plugin loads and answers through the real loader", "[loader]") {
    auto library = PluginLibrary::load(fixtures / "greeter.so");
    REQUIRE(library->manifest().name == "greeter");
    REQUIRE(library->manifest().version == "1.2.3");
    REQUIRE(library->manifest().publishes == std::vector<std::string>{"BOT_MESSAGE"});
    REQUIRE(library->manifest().consumes == std::vector<std::string>{"CUSTOMER_MESSAGE"});
    REQUIRE(library->abi_version().to_string() == host_abi);

    const auto seen = exchange("[plugins.greeter]\ngreeting = \"Hi\"\n", {"BOT_MESSAGE"});
    REQUIRE(seen.size() == 1);
    REQUIRE(seen[0].name == "BOT_MESSAGE");
    REQUIRE(seen[0].conversation == "c1");
    REQUIRE(seen[0].refers_to == "m1");
    const auto data = nlohmann::json::parse(seen[0].data);
    REQUIRE(data["body"]["markdownText"] == "Hi, you said: hi");
    REQUIRE(data["stdlib"] == "libstdc++");
    REQUIRE(data["conversationState"] == "CREATED");  // the host query of ABI 1.1 answered from the journal
    REQUIRE(data["activitiesSeen"] == 1);
}

TEST_CASE("a plugin built with clang++ and libc++ loads into the g++ host and exchanges events both ways",
          "[loader][abi]") {
    auto library = PluginLibrary::load(fixtures / "greeter_libcxx.so");
    REQUIRE(library->manifest().name == "greeter_libcxx");
    const auto seen = exchange("[plugins.greeter_libcxx]\ngreeting = \"Bonjour\"\n", {"BOT_MESSAGE"});
    REQUIRE(seen.size() == 1);
    const auto data = nlohmann::json::parse(seen[0].data);
    REQUIRE(data["body"]["markdownText"] == "Bonjour, you said: hi");  // host → plugin (event, config) → host
    REQUIRE(data["stdlib"] == "libc++");
    REQUIRE(data["conversationState"] == "CREATED");
}

TEST_CASE("a plugin of another ABI major is refused, naming the file and both versions", "[loader][abi]") {
    const auto path = fixtures / "wrong_major.so";
    REQUIRE_THROWS_MATCHES(PluginLibrary::load(path), PluginLoadError,
                           Catch::Message("plugin " + path.string() + ": built for ABI 2." +
                                          std::to_string(CIM_ABI_VERSION_MINOR) + ".0, this runtime speaks ABI " +
                                          host_abi + " (majors differ: rebuild the plugin against a 1.x SDK)"));
}

TEST_CASE("a plugin built against a newer minor is refused, an older minor loads and works", "[loader][abi]") {
    const auto newer = fixtures / "newer_minor.so";
    REQUIRE_THROWS_WITH(PluginLibrary::load(newer),
                        Catch::StartsWith("plugin " + newer.string() + ": built for ABI 1." +
                                          std::to_string(CIM_ABI_VERSION_MINOR + 1) + ".0, this runtime speaks ABI " +
                                          host_abi + " (the plugin needs a newer runtime"));

    auto older = PluginLibrary::load(fixtures / "older_minor.so");
    REQUIRE(older->abi_version().minor == 0);
    const auto seen = exchange("[plugins.older_minor]\n", {"BOT_MESSAGE"});
    REQUIRE(seen.size() == 1);
    REQUIRE(seen[0].data == R"({"text":"echo from C"})");
}

TEST_CASE("plugins compiled against the released 1.0 1.1 1.2 and 1.3 headers load and work with this host", "[loader][abi]") {
    // Built from tests/plugins/abi_history/: the headers as released, so their host table is the smaller one.
    auto v10 = PluginLibrary::load(fixtures / "c_echo_abi_1_0.so");
    REQUIRE(v10->abi_version().to_string() == "1.0.0");
    auto v11 = PluginLibrary::load(fixtures / "c_echo_abi_1_1.so");
    REQUIRE(v11->abi_version().to_string() == "1.1.0");
    auto v12 = PluginLibrary::load(fixtures / "c_echo_abi_1_2.so");
    REQUIRE(v12->abi_version().to_string() == "1.2.0");
    auto v13 = PluginLibrary::load(fixtures / "c_echo_abi_1_3.so");
    REQUIRE(v13->abi_version().to_string() == "1.3.0");
    for (const std::string name : {"c_echo_abi_1_0", "c_echo_abi_1_1", "c_echo_abi_1_2", "c_echo_abi_1_3"}) {
        const auto seen = exchange("[plugins." + name + "]\n", {"BOT_MESSAGE"});
        REQUIRE(seen.size() == 1);
        REQUIRE(seen[0].data == R"({"text":"echo from C"})");
    }
}

TEST_CASE("a plugin table larger than the host knows loads and its extra fields are ignored", "[loader][abi]") {
    auto library = PluginLibrary::load(fixtures / "oversized_table.so");
    REQUIRE(library->manifest().name == "oversized_table");
    // The fixture's unknown hook aborts the process if called; the exchange proves the host never touches it.
    const auto seen = exchange("[plugins.oversized_table]\n", {"BOT_MESSAGE"});
    REQUIRE(seen.size() == 1);
}

TEST_CASE("files that are not plugins are refused with the reason", "[loader]") {
    const auto missing = fixtures / "nope.so";
    REQUIRE_THROWS_WITH(PluginLibrary::load(missing), "plugin " + missing.string() + ": no such file");
    const auto not_plugin = fixtures / "not_a_plugin.so";
    REQUIRE_THROWS_WITH(PluginLibrary::load(not_plugin),
                        "plugin " + not_plugin.string() + ": exports no 'cim_plugin_entry' symbol (is it a cimrt plugin?)");
}

TEST_CASE("a library stays loaded until the last instance it created is gone", "[loader]") {
    const auto path = fixtures / "c_echo.so";
    REQUIRE_FALSE(is_loaded(path));
    {
        cim::runtime::RuntimeOptions quiet;
        quiet.log_to_stderr = false;
        auto runtime = cim::runtime::Runtime::from_string(config_with("[plugins.c_echo]\n"), fixtures, quiet);
        REQUIRE(is_loaded(path));  // held by the instance, though the loader's own handle is long gone
    }
    REQUIRE_FALSE(is_loaded(path));
}

TEST_CASE("a plugin that throws in a hook is isolated, counted and named", "[loader][isolation]") {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;

    SECTION("create") {
        REQUIRE_THROWS_MATCHES(
            cim::runtime::Runtime::from_string(config_with("[plugins.thrower]\nthrow_in = \"create\"\n"), fixtures, quiet),
            cim::runtime::Error,
            Catch::Message("plugin 'thrower': create failed: thrower: refusing to be created"));
    }
    SECTION("start: the runtime does not start, and says which plugin failed") {
        auto runtime = cim::runtime::Runtime::from_string(
            config_with("[plugins.greeter]\n[plugins.thrower]\nthrow_in = \"start\"\n"), fixtures, quiet);
        REQUIRE_THROWS_MATCHES(runtime->start(), cim::runtime::Error,
                               Catch::Message("plugin 'thrower': start returned error code 1: thrower: cannot start"));
    }
    SECTION("on_event: only that delivery fails; the other plugin answers") {
        cim::runtime::Metrics metrics;
        const auto seen = exchange("[plugins.greeter]\n[plugins.thrower]\nthrow_in = \"on_event\"\n", {"BOT_MESSAGE"},
                                   &metrics);
        REQUIRE(seen.size() == 1);
        REQUIRE(metrics.delivery_failures == 1);
    }
    SECTION("on_timer: counted as a failure of that plugin") {
        auto runtime = cim::runtime::Runtime::from_string(
            config_with("[plugins.thrower]\nthrow_in = \"on_timer\"\n"), fixtures, quiet);
        runtime->start();
        for (int i = 0; i < 500 && runtime->metrics().delivery_failures == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        REQUIRE(runtime->metrics().delivery_failures == 1);
        REQUIRE(runtime->plugins().at(0).failed == 1);
        runtime->stop();
    }
    SECTION("stop: logged, and the runtime still stops") {
        auto runtime = cim::runtime::Runtime::from_string(
            config_with("[plugins.thrower]\nthrow_in = \"stop\"\n"), fixtures, quiet);
        runtime->start();
        REQUIRE_NOTHROW(runtime->stop());
    }
}

TEST_CASE("publishing an undeclared event is refused at publish, naming plugin and event", "[loader][publish]") {
    const auto seen = exchange("[plugins.undeclared]\n", {"BOT_MESSAGE"});
    REQUIRE(seen.size() == 1);
    const auto report = nlohmann::json::parse(seen[0].data);
    REQUIRE(report["code"] == CIM_NOT_DECLARED);
    REQUIRE(report["error"] ==
            "plugin 'undeclared' published AGENT_MESSAGE, which its manifest does not declare under publishes");
}

TEST_CASE("custom events are registered at load, and a clash of types fails the load naming both plugins",
          "[loader][catalogue]") {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::Runtime::from_string(config_with("[plugins.custom_a]\n"), fixtures, quiet);
    const auto events = runtime->events();
    const auto score = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.name == "acme.SCORE"; });
    REQUIRE(score != events.end());
    REQUIRE(score->type == "ACTIVITY");
    REQUIRE(score->defined_by == "custom_a");

    const auto seen = exchange("[plugins.custom_a]\n", {"acme.SCORE"});
    REQUIRE(seen.size() == 1);
    REQUIRE(seen[0].data == R"({"score":5})");

    REQUIRE_THROWS_WITH(
        cim::runtime::Runtime::from_string(config_with("[plugins.custom_a]\n[plugins.custom_b]\n"), fixtures, quiet),
        Catch::Contains("custom_a") && Catch::Contains("custom_b") && Catch::Contains("acme.SCORE"));
}
