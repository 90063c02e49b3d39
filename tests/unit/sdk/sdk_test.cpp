// Tests of the header-only C++ SDK (cim/sdk.hpp), driven the way the host drives a plugin: through the C table that
// CIM_PLUGIN exports, against a fake host table that records what the plugin asks of it.
#include "cim/sdk.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------------------------------
// A fake host: a real cim_host_t whose callbacks record publishes, timers and log lines, and refuse on demand.
// ---------------------------------------------------------------------------------------------------------------------

/// A published event, copied out of the borrowed cim_event_t during the callback (as a real host must).
struct RecordedEvent {
    std::uint32_t struct_size = 0;
    std::string id, name, conversation_id, channel_session_id, customer_id, emitter_id, emitter_name, refers_to;
    std::string data_json;
    cim_event_type_t type = 0;
    cim_emitter_type_t emitter_type = 0;
    std::int64_t timestamp_ms = 0;
};

std::string copy(cim_str_t s) { return s.data != nullptr ? std::string(s.data, s.size) : std::string(); }

class FakeHost {
public:
    FakeHost() {
        table.struct_size = static_cast<std::uint32_t>(sizeof(cim_host_t));
        table.ctx = reinterpret_cast<cim_host_ctx_t*>(this);
        table.publish = &FakeHost::publish;
        table.schedule_timer = &FakeHost::schedule_timer;
        table.cancel_timer = &FakeHost::cancel_timer;
        table.log = &FakeHost::log;
        table.now_ms = &FakeHost::now_ms;
        table.last_error = &FakeHost::last_error;
    }
    FakeHost(const FakeHost&) = delete;  // table.ctx points at this object
    FakeHost& operator=(const FakeHost&) = delete;

    cim_host_t table{};

    // What the plugin did.
    std::vector<RecordedEvent> published;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> scheduled;  // (delay_ms, token)
    std::vector<std::uint64_t> cancelled;
    std::vector<std::pair<cim_log_level_t, std::string>> logs;

    // How the host answers.
    cim_rc_t publish_answer = CIM_OK;
    cim_rc_t timer_answer = CIM_OK;
    std::string refusal;  // the last_error text that goes with a refusal
    std::int64_t clock_ms = 1'700'000'000'000;

private:
    std::string last_error_;  // a real host keeps one per thread; these tests call from one thread

    static FakeHost& self(cim_host_ctx_t* ctx) { return *reinterpret_cast<FakeHost*>(ctx); }

    cim_rc_t answer(cim_rc_t code) {
        last_error_ = code == CIM_OK ? std::string() : refusal;
        return code;
    }

    static cim_rc_t publish(cim_host_ctx_t* ctx, const cim_event_t* event) {
        FakeHost& host = self(ctx);
        if (host.publish_answer == CIM_OK) {
            RecordedEvent r;
            r.struct_size = event->struct_size;
            r.id = copy(event->id);
            r.name = copy(event->name);
            r.type = event->type;
            r.timestamp_ms = event->timestamp_ms;
            r.conversation_id = copy(event->conversation_id);
            r.channel_session_id = copy(event->channel_session_id);
            r.customer_id = copy(event->customer_id);
            r.emitter_id = copy(event->emitter_id);
            r.emitter_type = event->emitter_type;
            r.emitter_name = copy(event->emitter_name);
            r.refers_to = copy(event->refers_to);
            r.data_json = copy(event->data_json);
            host.published.push_back(std::move(r));
        }
        return host.answer(host.publish_answer);
    }
    static cim_rc_t schedule_timer(cim_host_ctx_t* ctx, std::uint64_t delay_ms, std::uint64_t token) {
        FakeHost& host = self(ctx);
        if (host.timer_answer == CIM_OK) host.scheduled.emplace_back(delay_ms, token);
        return host.answer(host.timer_answer);
    }
    static cim_rc_t cancel_timer(cim_host_ctx_t* ctx, std::uint64_t token) {
        FakeHost& host = self(ctx);
        if (host.timer_answer == CIM_OK) host.cancelled.push_back(token);
        return host.answer(host.timer_answer);
    }
    static void log(cim_host_ctx_t* ctx, cim_log_level_t level, cim_str_t message) {
        self(ctx).logs.emplace_back(level, copy(message));
    }
    static std::int64_t now_ms(cim_host_ctx_t* ctx) { return self(ctx).clock_ms; }
    static cim_str_t last_error(cim_host_ctx_t* ctx) {
        const std::string& text = self(ctx).last_error_;
        return cim_str_t{text.data(), text.size()};
    }
};

// ---------------------------------------------------------------------------------------------------------------------
// The plugin under test, exported with CIM_PLUGIN into this executable.
// ---------------------------------------------------------------------------------------------------------------------

constexpr std::uint64_t kTickTimer = 7;
constexpr std::uint64_t kThrowingTimer = 666;

class EchoPlugin : public cim::Plugin {
public:
    /// The live instance, so that tests can look inside; set by the constructor, cleared by the destructor.
    inline static EchoPlugin* current = nullptr;

    explicit EchoPlugin(const cim::PluginContext& context) : cim::Plugin(context) {
        const std::string fail = config().value("fail", "");
        if (fail == "std") throw std::runtime_error("config asks the constructor to fail");
        if (fail == "int") throw 42;  // not a std::exception
        current = this;
    }
    ~EchoPlugin() override {
        if (current == this) current = nullptr;
    }

    static cim::Manifest manifest() {
        return {.name = "echo",
                .version = "1.2.3",
                .description = "Answers customer messages",
                .publishes = {"BOT_MESSAGE", "acme.PING"},
                .consumes = {"CUSTOMER_MESSAGE", "CHANNEL_SESSION_STARTED"},
                .custom_events = {{.name = "acme.PING", .type = cim::EventType::notification, .description = "a ping"},
                                  {.name = "acme.SILENT", .type = cim::EventType::activity, .description = ""}},
                .config_schema = {{"type", "object"}, {"properties", {{"fail", {{"type", "string"}}}}}}};
    }

    void on_start() {
        schedule(1500ms, kTickTimer);
        log().info("started");
    }

    void on_event(const cim::Event& event) {
        events_seen.emplace_back(event.id());
        if (event.name() != "CUSTOMER_MESSAGE") return;
        const json& payload = event.data();  // throws cim::Error for a malformed payload
        const std::string text = payload.value("text", "");
        if (text == "boom") throw cim::Error("boom requested by " + std::string(event.id()));
        last_publish = publish(cim::OutgoingEvent("BOT_MESSAGE")
                                   .reply_to(event)
                                   .emitter(cim::EmitterType::bot, "echo-bot", "Echo")
                                   .refers_to(std::string(event.id()))
                                   .data({{"text", "echo: " + text}}));
    }

    void on_timer(std::uint64_t token) {
        timers_fired.push_back(token);
        if (token == kThrowingTimer) throw 7;  // not a std::exception
    }

    void on_stop() {
        cancel(kTickTimer);
        log().info("stopped");
    }

    std::vector<std::string> events_seen;
    std::vector<std::uint64_t> timers_fired;
    cim::PublishResult last_publish;
};

}  // namespace

CIM_PLUGIN(EchoPlugin);

namespace {

// A plugin with no hooks at all: its table must say so with NULLs.
class SilentPlugin : public cim::Plugin {
public:
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {.name = "silent", .version = "0.1.0"}; }
};

// An event with every field set, and the storage its views point into.
struct SampleEvent {
    std::string data = R"({"text":"hello","n":1})";
    cim_event_t raw{};

    SampleEvent() {
        raw.struct_size = static_cast<std::uint32_t>(sizeof(cim_event_t));
        raw.id = view("ev-1");
        raw.name = view("CUSTOMER_MESSAGE");
        raw.type = CIM_EVENT_TYPE_ACTIVITY;
        raw.timestamp_ms = 1'700'000'000'123;
        raw.conversation_id = view("conv-9");
        raw.channel_session_id = view("cs-4");
        raw.customer_id = view("cust-2");
        raw.emitter_id = view("cust-2-web");
        raw.emitter_type = CIM_EMITTER_CUSTOMER;
        raw.emitter_name = view("Ada");
        raw.refers_to = view("act-0");
        set_data(data);
    }
    SampleEvent(const SampleEvent&) = delete;  // raw.data_json points into this object
    SampleEvent& operator=(const SampleEvent&) = delete;

    void set_data(std::string text) {
        data = std::move(text);
        raw.data_json = cim_str_t{data.data(), data.size()};
    }
    static cim_str_t view(std::string_view literal) { return cim_str_t{literal.data(), literal.size()}; }
};

std::string str(const char* s) { return s != nullptr ? std::string(s) : std::string("<NULL>"); }

/// A created EchoPlugin instance, destroyed at scope exit.
struct Instance {
    const cim_plugin_t* table = cim_plugin_entry();
    cim_instance_t* handle = nullptr;
    cim_rc_t create_rc = CIM_ERROR;

    Instance(const FakeHost& host, std::string_view config) {
        create_rc = table->create(&host.table, cim_str_t{config.data(), config.size()}, &handle);
    }
    ~Instance() {
        if (handle != nullptr) table->destroy(handle);
    }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    std::string last_error() const { return str(table->last_error(handle)); }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------------
// The exported table
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("cim_plugin_entry returns one static table with the ABI version and every defined hook", "[sdk][export]") {
    const cim_plugin_t* table = cim_plugin_entry();
    REQUIRE(table != nullptr);
    CHECK(cim_plugin_entry() == table);
    CHECK(table->struct_size == sizeof(cim_plugin_t));
    CHECK(table->abi_major == CIM_ABI_VERSION_MAJOR);
    CHECK(table->abi_minor == CIM_ABI_VERSION_MINOR);
    CHECK(table->abi_patch == CIM_ABI_VERSION_PATCH);
    CHECK(table->create != nullptr);
    CHECK(table->start != nullptr);
    CHECK(table->on_event != nullptr);
    CHECK(table->on_timer != nullptr);
    CHECK(table->stop != nullptr);
    CHECK(table->destroy != nullptr);
    CHECK(table->last_error != nullptr);
}

TEST_CASE("the manifest's C views carry Class::manifest()", "[sdk][export][manifest]") {
    const cim_manifest_t* m = cim_plugin_entry()->manifest;
    REQUIRE(m != nullptr);
    CHECK(m->struct_size == sizeof(cim_manifest_t));
    CHECK(str(m->name) == "echo");
    CHECK(str(m->version) == "1.2.3");
    CHECK(str(m->description) == "Answers customer messages");

    REQUIRE(m->publishes_count == 2);
    CHECK(str(m->publishes[0]) == "BOT_MESSAGE");
    CHECK(str(m->publishes[1]) == "acme.PING");
    REQUIRE(m->consumes_count == 2);
    CHECK(str(m->consumes[0]) == "CUSTOMER_MESSAGE");
    CHECK(str(m->consumes[1]) == "CHANNEL_SESSION_STARTED");

    REQUIRE(m->custom_events_count == 2);
    const cim_custom_event_t* ping = m->custom_events[0];
    CHECK(ping->struct_size == sizeof(cim_custom_event_t));
    CHECK(str(ping->name) == "acme.PING");
    CHECK(ping->type == CIM_EVENT_TYPE_NOTIFICATION);
    CHECK(str(ping->description) == "a ping");
    CHECK(str(m->custom_events[1]->name) == "acme.SILENT");
    CHECK(m->custom_events[1]->type == CIM_EVENT_TYPE_ACTIVITY);
    CHECK(m->custom_events[1]->description == nullptr);  // empty description = NULL, as abi.h allows

    REQUIRE(m->config_schema_json != nullptr);
    CHECK(json::parse(m->config_schema_json) == EchoPlugin::manifest().config_schema);
}

TEST_CASE("a class without hooks exports NULL hooks and an empty manifest", "[sdk][export]") {
    const cim_plugin_t* table = cim::detail::plugin_table<SilentPlugin>();
    CHECK(table->create != nullptr);
    CHECK(table->destroy != nullptr);
    CHECK(table->last_error != nullptr);
    CHECK(table->start == nullptr);
    CHECK(table->on_event == nullptr);
    CHECK(table->on_timer == nullptr);
    CHECK(table->stop == nullptr);

    const cim_manifest_t* m = table->manifest;
    REQUIRE(m != nullptr);
    CHECK(str(m->name) == "silent");
    CHECK(m->description == nullptr);
    CHECK(m->publishes_count == 0);
    CHECK(m->consumes_count == 0);
    CHECK(m->custom_events_count == 0);
    CHECK(m->config_schema_json == nullptr);  // null schema = accepts no config keys

    FakeHost host;
    cim_instance_t* handle = nullptr;
    REQUIRE(table->create(&host.table, cim_str_t{nullptr, 0}, &handle) == CIM_OK);
    table->destroy(handle);
}

// ---------------------------------------------------------------------------------------------------------------------
// Hook detection (compile time)
// ---------------------------------------------------------------------------------------------------------------------

namespace {

struct ConstNoexceptHooks : cim::Plugin {
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {}; }
    void on_start() const noexcept {}
    void on_event(const cim::Event&) const noexcept {}
    void on_timer(std::uint64_t) noexcept {}
    void on_stop() const {}
};

struct HookBase {
    void on_event(const cim::Event&) {}
};
struct InheritedAndOverloaded : cim::Plugin, HookBase {
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {}; }
    void on_timer(std::uint64_t) {}
    void on_timer(const std::string&) {}  // an overload set that contains the right signature
};

struct WrongSignatures : cim::Plugin {
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {}; }
    bool on_start() { return true; }       // hooks return void
    void on_event(cim::Event) {}           // by value
    void on_timer(int) {}                  // would truncate tokens
    template <class T> void on_stop(T) {}  // a template that cannot be called without arguments
};

struct PrivateHook : cim::Plugin {
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {}; }

private:
    void on_event(const cim::Event&) {}
};

struct FinalPlugin final : cim::Plugin {
    using cim::Plugin::Plugin;
    static cim::Manifest manifest() { return {}; }
    void on_event(const cim::Event&) {}
    void on_timer(int) {}
};

struct NotAPlugin {
    static cim::Manifest manifest() { return {}; }
};

struct NonStaticManifest : cim::Plugin {
    using cim::Plugin::Plugin;
    cim::Manifest manifest() { return {}; }
};

}  // namespace

TEST_CASE("hooks are detected at compile time, wrong signatures are told apart from absent hooks", "[sdk][hooks]") {
    using namespace cim::detail;

    STATIC_REQUIRE(declares_on_start<EchoPlugin> && valid_on_start<EchoPlugin>);
    STATIC_REQUIRE(declares_on_event<EchoPlugin> && valid_on_event<EchoPlugin>);
    STATIC_REQUIRE(declares_on_timer<EchoPlugin> && valid_on_timer<EchoPlugin>);
    STATIC_REQUIRE(declares_on_stop<EchoPlugin> && valid_on_stop<EchoPlugin>);

    STATIC_REQUIRE(!declares_on_start<SilentPlugin>);
    STATIC_REQUIRE(!declares_on_event<SilentPlugin>);
    STATIC_REQUIRE(!declares_on_timer<SilentPlugin>);
    STATIC_REQUIRE(!declares_on_stop<SilentPlugin>);

    STATIC_REQUIRE(valid_on_start<ConstNoexceptHooks>);
    STATIC_REQUIRE(valid_on_event<ConstNoexceptHooks>);
    STATIC_REQUIRE(valid_on_timer<ConstNoexceptHooks>);
    STATIC_REQUIRE(valid_on_stop<ConstNoexceptHooks>);

    STATIC_REQUIRE(declares_on_event<InheritedAndOverloaded> && valid_on_event<InheritedAndOverloaded>);
    STATIC_REQUIRE(declares_on_timer<InheritedAndOverloaded> && valid_on_timer<InheritedAndOverloaded>);

    // Declared but unusable: CIM_PLUGIN turns each of these into a static_assert instead of a silent NULL hook.
    STATIC_REQUIRE(declares_on_start<WrongSignatures> && !valid_on_start<WrongSignatures>);
    STATIC_REQUIRE(declares_on_event<WrongSignatures> && !valid_on_event<WrongSignatures>);
    STATIC_REQUIRE(declares_on_timer<WrongSignatures> && !valid_on_timer<WrongSignatures>);
    STATIC_REQUIRE(declares_on_stop<WrongSignatures> && !valid_on_stop<WrongSignatures>);
    STATIC_REQUIRE(declares_on_event<PrivateHook> && !valid_on_event<PrivateHook>);

    STATIC_REQUIRE(declares_on_event<FinalPlugin> && valid_on_event<FinalPlugin>);
    STATIC_REQUIRE(declares_on_timer<FinalPlugin> && !valid_on_timer<FinalPlugin>);
    STATIC_REQUIRE(!declares_on_start<FinalPlugin>);

    STATIC_REQUIRE(has_manifest<EchoPlugin>);
    STATIC_REQUIRE(has_manifest<NotAPlugin>);
    STATIC_REQUIRE(!has_manifest<NonStaticManifest>);
    STATIC_REQUIRE(!std::derived_from<NotAPlugin, cim::Plugin>);
}

// ---------------------------------------------------------------------------------------------------------------------
// create / start / stop / destroy
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("create hands the config to the class, and the lifecycle reaches the hooks", "[sdk][lifecycle]") {
    FakeHost host;
    {
        Instance instance(host, R"({"greeting":"hi","limits":{"n":3}})");
        REQUIRE(instance.create_rc == CIM_OK);
        REQUIRE(instance.handle != nullptr);
        CHECK(instance.table->last_error(instance.handle) == nullptr);
        REQUIRE(EchoPlugin::current != nullptr);
        CHECK(EchoPlugin::current->config() == json{{"greeting", "hi"}, {"limits", {{"n", 3}}}});
        CHECK(&EchoPlugin::current->host().abi() == &host.table);

        REQUIRE(instance.table->start(instance.handle) == CIM_OK);
        REQUIRE(host.scheduled.size() == 1);
        CHECK(host.scheduled[0] == std::pair<std::uint64_t, std::uint64_t>{1500, kTickTimer});
        REQUIRE(host.logs.size() == 1);
        CHECK(host.logs[0] == std::pair<cim_log_level_t, std::string>{CIM_LOG_INFO, "started"});

        REQUIRE(instance.table->on_timer(instance.handle, kTickTimer) == CIM_OK);
        CHECK(EchoPlugin::current->timers_fired == std::vector<std::uint64_t>{kTickTimer});

        REQUIRE(instance.table->stop(instance.handle) == CIM_OK);
        CHECK(host.cancelled == std::vector<std::uint64_t>{kTickTimer});
        CHECK(host.logs.back().second == "stopped");
    }
    CHECK(EchoPlugin::current == nullptr);  // destroy ran the destructor
}

TEST_CASE("create with empty config text gives the class an empty object", "[sdk][lifecycle]") {
    FakeHost host;
    Instance instance(host, "");
    REQUIRE(instance.create_rc == CIM_OK);
    REQUIRE(EchoPlugin::current != nullptr);
    CHECK(EchoPlugin::current->config().is_object());
    CHECK(EchoPlugin::current->config().empty());
}

TEST_CASE("a failing create still returns an instance that explains, then can be destroyed", "[sdk][lifecycle]") {
    FakeHost host;

    SECTION("the constructor throws a std::exception") {
        Instance instance(host, R"({"fail":"std"})");
        CHECK(instance.create_rc == CIM_ERROR);
        REQUIRE(instance.handle != nullptr);
        CHECK(instance.last_error() == "config asks the constructor to fail");
        CHECK(EchoPlugin::current == nullptr);

        // The box keeps the reason even after other calls on this thread cleared the thread-local message.
        Instance healthy(host, "{}");
        REQUIRE(healthy.create_rc == CIM_OK);
        CHECK(instance.last_error() == "config asks the constructor to fail");

        // No hook runs on it; each says why.
        CHECK(instance.table->start(instance.handle) == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("create failed") &&
                                              Catch::Contains("config asks the constructor to fail"));
    }
    SECTION("the constructor throws something else") {
        Instance instance(host, R"({"fail":"int"})");
        CHECK(instance.create_rc == CIM_ERROR);
        REQUIRE(instance.handle != nullptr);
        CHECK(instance.last_error() == "unknown exception");
    }
    SECTION("the config is not JSON") {
        Instance instance(host, "{not json");
        CHECK(instance.create_rc == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("config is not valid JSON"));
    }
    SECTION("the config is not an object") {
        Instance instance(host, "[1,2]");
        CHECK(instance.create_rc == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("must be a JSON object") && Catch::Contains("array"));
    }
    SECTION("the host table is NULL") {
        const cim_plugin_t* table = cim_plugin_entry();
        cim_instance_t* handle = nullptr;
        CHECK(table->create(nullptr, cim_str_t{nullptr, 0}, &handle) == CIM_ERROR);
        REQUIRE(handle != nullptr);
        CHECK_THAT(str(table->last_error(handle)), Catch::Contains("host table is NULL"));
        table->destroy(handle);
    }
    SECTION("out is NULL") {
        const cim_plugin_t* table = cim_plugin_entry();
        CHECK(table->create(&host.table, cim_str_t{nullptr, 0}, nullptr) == CIM_INVALID);
        CHECK_THAT(str(table->last_error(nullptr)), Catch::Contains("out == NULL"));
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// on_event / on_timer through the table
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("on_event dispatches an Event view, and the reply arrives at the host field by field", "[sdk][event]") {
    FakeHost host;
    Instance instance(host, "{}");
    REQUIRE(instance.create_rc == CIM_OK);
    SampleEvent in;

    REQUIRE(instance.table->on_event(instance.handle, &in.raw) == CIM_OK);
    CHECK(instance.table->last_error(instance.handle) == nullptr);
    CHECK(EchoPlugin::current->events_seen == std::vector<std::string>{"ev-1"});
    CHECK(EchoPlugin::current->last_publish.ok());

    REQUIRE(host.published.size() == 1);
    const RecordedEvent& out = host.published[0];
    CHECK(out.struct_size == sizeof(cim_event_t));
    CHECK(out.name == "BOT_MESSAGE");
    CHECK(out.id.empty());             // left to the host
    CHECK(out.type == CIM_EVENT_TYPE_UNSET);  // left to the catalogue
    CHECK(out.timestamp_ms == 0);      // left to the host's clock
    CHECK(out.conversation_id == "conv-9");
    CHECK(out.channel_session_id == "cs-4");
    CHECK(out.customer_id == "cust-2");
    CHECK(out.emitter_type == CIM_EMITTER_BOT);
    CHECK(out.emitter_id == "echo-bot");
    CHECK(out.emitter_name == "Echo");
    CHECK(out.refers_to == "ev-1");
    CHECK(json::parse(out.data_json) == json{{"text", "echo: hello"}});
}

TEST_CASE("a hook that throws fails that call alone, with its message", "[sdk][errors]") {
    FakeHost host;
    Instance instance(host, "{}");
    REQUIRE(instance.create_rc == CIM_OK);
    SampleEvent in;

    SECTION("on_event throws cim::Error; the next delivery works") {
        in.set_data(R"({"text":"boom"})");
        CHECK(instance.table->on_event(instance.handle, &in.raw) == CIM_ERROR);
        CHECK(instance.last_error() == "boom requested by ev-1");

        in.set_data(R"({"text":"again"})");
        CHECK(instance.table->on_event(instance.handle, &in.raw) == CIM_OK);
        CHECK(instance.table->last_error(instance.handle) == nullptr);
        REQUIRE(host.published.size() == 1);
        CHECK(json::parse(host.published[0].data_json) == json{{"text", "echo: again"}});
    }
    SECTION("a malformed payload fails the delivery, naming the event") {
        in.set_data(R"({"text": )");
        CHECK(instance.table->on_event(instance.handle, &in.raw) == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("ev-1") && Catch::Contains("not valid JSON"));
        CHECK(host.published.empty());
    }
    SECTION("on_timer throws a non-std exception; the next timer works") {
        CHECK(instance.table->on_timer(instance.handle, kThrowingTimer) == CIM_ERROR);
        CHECK(instance.last_error() == "unknown exception");
        CHECK(instance.table->on_timer(instance.handle, 1) == CIM_OK);
        CHECK(instance.table->last_error(instance.handle) == nullptr);
        CHECK(EchoPlugin::current->timers_fired == std::vector<std::uint64_t>{kThrowingTimer, 1});
    }
    SECTION("a NULL event is refused, not dereferenced") {
        CHECK(instance.table->on_event(instance.handle, nullptr) == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("NULL event"));
    }
    SECTION("on_start fails when the host refuses its timer, with the host's reason") {
        host.timer_answer = CIM_STOPPED;
        host.refusal = "runtime is stopping";
        CHECK(instance.table->start(instance.handle) == CIM_ERROR);
        CHECK_THAT(instance.last_error(), Catch::Contains("schedule_timer") && Catch::Contains("CIM_STOPPED") &&
                                              Catch::Contains("runtime is stopping"));
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// cim::Event
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("Event reads every header field of the struct", "[sdk][event]") {
    SampleEvent in;
    const cim::Event event(in.raw);
    CHECK(event.id() == "ev-1");
    CHECK(event.name() == "CUSTOMER_MESSAGE");
    CHECK(event.type() == cim::EventType::activity);
    CHECK(event.timestamp_ms() == 1'700'000'000'123);
    CHECK(event.conversation_id() == "conv-9");
    CHECK(event.channel_session_id() == "cs-4");
    CHECK(event.customer_id() == "cust-2");
    CHECK(event.emitter_id() == "cust-2-web");
    CHECK(event.emitter_type() == cim::EmitterType::customer);
    CHECK(event.emitter_name() == "Ada");
    CHECK(event.refers_to() == "act-0");
    CHECK(event.data_text() == R"({"text":"hello","n":1})");
    CHECK(&event.abi() == &in.raw);
}

TEST_CASE("Event::data parses once, on first use", "[sdk][event]") {
    SampleEvent in;

    SECTION("parsed and cached") {
        const cim::Event event(in.raw);
        const json& first = event.data();
        CHECK(first == json{{"text", "hello"}, {"n", 1}});
        in.set_data(R"({"text":"changed"})");  // a second call must not parse again
        CHECK(&event.data() == &first);
        CHECK(event.data() == json{{"text", "hello"}, {"n", 1}});
    }
    SECTION("not parsed until asked: a malformed payload only fails data()") {
        in.set_data("{\"text\": [1,");
        const cim::Event event(in.raw);
        CHECK(event.name() == "CUSTOMER_MESSAGE");
        CHECK_THROWS_AS(event.data(), cim::Error);
        CHECK_THROWS_WITH(event.data(), Catch::Contains("event 'ev-1'") && Catch::Contains("CUSTOMER_MESSAGE"));
    }
    SECTION("no payload is null JSON") {
        in.raw.data_json = cim_str_t{nullptr, 0};
        const cim::Event event(in.raw);
        CHECK(event.data_text().empty());
        CHECK(event.data().is_null());
    }
}

TEST_CASE("Event reads only the fields the writer's struct_size covers", "[sdk][event][struct_size]") {
    SampleEvent in;

    SECTION("an older, shorter struct: later fields read as empty") {
        in.raw.struct_size = static_cast<std::uint32_t>(offsetof(cim_event_t, customer_id));
        const cim::Event event(in.raw);
        CHECK(event.id() == "ev-1");
        CHECK(event.name() == "CUSTOMER_MESSAGE");
        CHECK(event.type() == cim::EventType::activity);
        CHECK(event.timestamp_ms() == 1'700'000'000'123);
        CHECK(event.conversation_id() == "conv-9");
        CHECK(event.channel_session_id() == "cs-4");
        CHECK(event.customer_id().empty());
        CHECK(event.emitter_id().empty());
        CHECK(event.emitter_type() == cim::EmitterType::unset);
        CHECK(event.emitter_name().empty());
        CHECK(event.refers_to().empty());
        CHECK(event.data_text().empty());
        CHECK(event.data().is_null());
    }
    SECTION("a struct cut inside a field does not expose the part of it that fits") {
        in.raw.struct_size = static_cast<std::uint32_t>(offsetof(cim_event_t, name) + sizeof(const char*));
        const cim::Event event(in.raw);
        CHECK(event.id() == "ev-1");
        CHECK(event.name().empty());
    }
    SECTION("struct_size 0: nothing at all") {
        in.raw.struct_size = 0;
        const cim::Event event(in.raw);
        CHECK(event.id().empty());
        CHECK(event.type() == cim::EventType::unset);
        CHECK(event.timestamp_ms() == 0);
    }
    SECTION("a newer, longer struct: the fields we know are read") {
        in.raw.struct_size = static_cast<std::uint32_t>(sizeof(cim_event_t) + 64);
        const cim::Event event(in.raw);
        CHECK(event.data_text() == R"({"text":"hello","n":1})");
    }
    SECTION("a NULL pointer with a size reads as empty") {
        in.raw.refers_to = cim_str_t{nullptr, 5};
        CHECK(cim::Event(in.raw).refers_to().empty());
    }
}

TEST_CASE("detail::field_end agrees with offsetof for every ABI field it is used on", "[sdk][struct_size]") {
    using cim::detail::field_end;
    CHECK(field_end(&cim_event_t::id) == offsetof(cim_event_t, id) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::name) == offsetof(cim_event_t, name) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::type) == offsetof(cim_event_t, type) + sizeof(cim_event_type_t));
    CHECK(field_end(&cim_event_t::timestamp_ms) == offsetof(cim_event_t, timestamp_ms) + sizeof(std::int64_t));
    CHECK(field_end(&cim_event_t::conversation_id) == offsetof(cim_event_t, conversation_id) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::channel_session_id) ==
          offsetof(cim_event_t, channel_session_id) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::customer_id) == offsetof(cim_event_t, customer_id) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::emitter_id) == offsetof(cim_event_t, emitter_id) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::emitter_type) ==
          offsetof(cim_event_t, emitter_type) + sizeof(cim_emitter_type_t));
    CHECK(field_end(&cim_event_t::emitter_name) == offsetof(cim_event_t, emitter_name) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::refers_to) == offsetof(cim_event_t, refers_to) + sizeof(cim_str_t));
    CHECK(field_end(&cim_event_t::data_json) == sizeof(cim_event_t));

    CHECK(field_end(&cim_host_t::publish) == offsetof(cim_host_t, publish) + sizeof(void (*)()));
    CHECK(field_end(&cim_host_t::schedule_timer) == offsetof(cim_host_t, schedule_timer) + sizeof(void (*)()));
    CHECK(field_end(&cim_host_t::cancel_timer) == offsetof(cim_host_t, cancel_timer) + sizeof(void (*)()));
    CHECK(field_end(&cim_host_t::log) == offsetof(cim_host_t, log) + sizeof(void (*)()));
    CHECK(field_end(&cim_host_t::now_ms) == offsetof(cim_host_t, now_ms) + sizeof(void (*)()));
    CHECK(field_end(&cim_host_t::get_conversation) == offsetof(cim_host_t, get_conversation) + sizeof(void*));
    CHECK(field_end(&cim_host_t::get_customer_journey) == offsetof(cim_host_t, get_customer_journey) + sizeof(void*));
    CHECK(field_end(&cim_host_t::state_put) == offsetof(cim_host_t, state_put) + sizeof(void*));
    CHECK(field_end(&cim_host_t::get_conversation_state) ==
          offsetof(cim_host_t, get_conversation_state) + sizeof(void*));
    CHECK(field_end(&cim_host_t::publish_async) == offsetof(cim_host_t, publish_async) + sizeof(void*));
    CHECK(field_end(&cim_host_t::publish_many) == offsetof(cim_host_t, publish_many) + sizeof(void*));
    CHECK(field_end(&cim_host_t::metric) == sizeof(cim_host_t));
}

TEST_CASE("event and emitter types convert to their CIM names", "[sdk][event]") {
    CHECK(cim::to_string(cim::EventType::activity) == "ACTIVITY");
    CHECK(cim::to_string(cim::EventType::suggestion) == "SUGGESTION");
    CHECK(cim::to_string(cim::EventType::message) == "MESSAGE");
    CHECK(cim::to_string(cim::EventType::notification) == "NOTIFICATION");
    CHECK(cim::to_string(cim::EventType::call) == "CALL");
    CHECK(cim::to_string(cim::EventType::unset) == "UNSET");
    CHECK(cim::to_string(static_cast<cim::EventType>(99)) == "UNKNOWN");
    CHECK(cim::to_string(cim::EmitterType::customer) == "CUSTOMER");
    CHECK(cim::to_string(cim::EmitterType::connector) == "CONNECTOR");
    CHECK(cim::to_string(static_cast<cim::EmitterType>(99)) == "UNKNOWN");
    STATIC_REQUIRE(static_cast<std::uint32_t>(cim::EventType::call) == CIM_EVENT_TYPE_CALL);
    STATIC_REQUIRE(static_cast<std::uint32_t>(cim::EmitterType::system) == CIM_EMITTER_SYSTEM);
}

// ---------------------------------------------------------------------------------------------------------------------
// cim::OutgoingEvent
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("OutgoingEvent owns its fields and lends them through abi()", "[sdk][outgoing]") {
    cim::OutgoingEvent out("acme.PING");
    out.id("ev-77")
        .conversation("c")
        .channel_session("s")
        .customer("u")
        .emitter(cim::EmitterType::app, "app-1")
        .refers_to("act-5")
        .type(cim::EventType::notification)
        .timestamp_ms(42)
        .data(json{{"k", "v"}});

    CHECK(out.name() == "acme.PING");
    CHECK(out.emitter_name().empty());
    CHECK(out.data_text() == R"({"k":"v"})");

    const cim_event_t raw = out.abi();
    const cim::Event back(raw);  // read it back the way a host would
    CHECK(raw.struct_size == sizeof(cim_event_t));
    CHECK(back.id() == "ev-77");
    CHECK(back.name() == "acme.PING");
    CHECK(back.conversation_id() == "c");
    CHECK(back.channel_session_id() == "s");
    CHECK(back.customer_id() == "u");
    CHECK(back.emitter_type() == cim::EmitterType::app);
    CHECK(back.emitter_id() == "app-1");
    CHECK(back.emitter_name().empty());
    CHECK(back.refers_to() == "act-5");
    CHECK(back.type() == cim::EventType::notification);
    CHECK(back.timestamp_ms() == 42);
    CHECK(back.data() == json{{"k", "v"}});

    SECTION("null JSON clears the payload; data_text is taken as is") {
        out.data(json());
        CHECK(out.data_text().empty());
        out.data_text("[1,2]");
        CHECK(out.data_text() == "[1,2]");
    }
    SECTION("a payload that cannot be serialised is a cim::Error naming the event") {
        CHECK_THROWS_WITH(out.data(json{{"bad", std::string("\xff\xfe")}}),
                          Catch::Contains("acme.PING") && Catch::Contains("cannot be serialised"));
    }
    SECTION("reply_to copies the routing ids and nothing else") {
        SampleEvent in;
        cim::OutgoingEvent reply("BOT_MESSAGE");
        reply.reply_to(cim::Event(in.raw));
        CHECK(reply.conversation_id() == "conv-9");
        CHECK(reply.channel_session_id() == "cs-4");
        CHECK(reply.customer_id() == "cust-2");
        CHECK(reply.id().empty());
        CHECK(reply.refers_to().empty());
        CHECK(reply.emitter_type() == cim::EmitterType::unset);
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// cim::Host and cim::Logger
// ---------------------------------------------------------------------------------------------------------------------

TEST_CASE("Host::publish surfaces the host's verdict and its reason", "[sdk][host]") {
    FakeHost host;
    const cim::Host api(&host.table);
    const cim::OutgoingEvent event("BOT_MESSAGE");

    SECTION("accepted") {
        const cim::PublishResult result = api.publish(event);
        CHECK(result.ok());
        CHECK_FALSE(result.busy());
        CHECK(result.error.empty());
        CHECK(host.published.size() == 1);
    }
    SECTION("busy, with the host's last_error text") {
        host.publish_answer = CIM_BUSY;
        host.refusal = "shard 3 is full";
        const cim::PublishResult result = api.publish(event);
        CHECK_FALSE(result.ok());
        CHECK(result.busy());
        CHECK(result.code == CIM_BUSY);
        CHECK(result.error == "shard 3 is full");
        CHECK(host.published.empty());
    }
    SECTION("refused without a reason: the message still names the event and the code") {
        host.publish_answer = CIM_NOT_DECLARED;
        const cim::PublishResult result = api.publish(event);
        CHECK(result.code == CIM_NOT_DECLARED);
        CHECK_THAT(result.error, Catch::Contains("BOT_MESSAGE") && Catch::Contains("CIM_NOT_DECLARED"));
    }
    SECTION("a plugin sees busy through its own publish()") {
        Instance instance(host, "{}");
        REQUIRE(instance.create_rc == CIM_OK);
        host.publish_answer = CIM_BUSY;
        host.refusal = "queue full";
        SampleEvent in;
        CHECK(instance.table->on_event(instance.handle, &in.raw) == CIM_OK);
        CHECK(EchoPlugin::current->last_publish.busy());
        CHECK(EchoPlugin::current->last_publish.error == "queue full");
    }
}

TEST_CASE("Host wraps timers and the clock", "[sdk][host]") {
    FakeHost host;
    const cim::Host api(&host.table);

    api.schedule(2s, 1);
    api.schedule(-5ms, 2);  // in the past = as soon as possible, not 2^64 - 5 ms
    api.cancel(1);
    CHECK(host.scheduled == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{2000, 1}, {0, 2}});
    CHECK(host.cancelled == std::vector<std::uint64_t>{1});
    CHECK(api.now_ms() == host.clock_ms);

    host.timer_answer = CIM_STOPPED;
    host.refusal = "stopping";
    CHECK_THROWS_WITH(api.cancel(9), Catch::Contains("cancel_timer(token 9)") && Catch::Contains("stopping"));
}

TEST_CASE("Host tolerates an older, shorter host table and names what is missing", "[sdk][host][struct_size]") {
    FakeHost host;
    host.table.struct_size = static_cast<std::uint32_t>(offsetof(cim_host_t, now_ms));
    const cim::Host api(&host.table);

    CHECK_THROWS_AS(api.now_ms(), cim::Error);
    CHECK_THROWS_WITH(api.now_ms(), Catch::Contains("'now_ms'"));

    // What the table does cover keeps working.
    api.schedule(1ms, 3);
    CHECK(host.scheduled.size() == 1);
    api.log().warn("still logging");
    CHECK(host.logs.back() == std::pair<cim_log_level_t, std::string>{CIM_LOG_WARN, "still logging"});

    // Without last_error a refusal is still explained.
    host.publish_answer = CIM_BUSY;
    const cim::PublishResult result = api.publish(cim::OutgoingEvent("BOT_MESSAGE"));
    CHECK(result.busy());
    CHECK_THAT(result.error, Catch::Contains("CIM_BUSY"));

    SECTION("a covered but NULL callback is missing too") {
        host.table.struct_size = static_cast<std::uint32_t>(sizeof(cim_host_t));
        host.table.publish = nullptr;
        CHECK_THROWS_WITH(api.publish(cim::OutgoingEvent("X")), Catch::Contains("'publish'"));
    }
    SECTION("a NULL table is refused up front") {
        CHECK_THROWS_AS(cim::Host(nullptr), cim::Error);
    }
}

TEST_CASE("Host against a 1.1 host table has no state and says which callback is missing", "[sdk][host][state]") {
    FakeHost host;
    // What a 1.1 host hands over: the table ends after get_customer_journey.
    host.table.struct_size = static_cast<std::uint32_t>(offsetof(cim_host_t, state_put));
    const cim::Host api(&host.table);
    CHECK_FALSE(api.has_state());
    CHECK_THROWS_WITH(api.put_state("c1", "k", "v"), Catch::Contains("'state_put'"));
    CHECK_THROWS_WITH(api.get_state("c1", "k"), Catch::Contains("'state_get'"));
    CHECK_THROWS_WITH(api.schedule_at("c1", 5, 1), Catch::Contains("'schedule_timer_at'"));
    CHECK_THROWS_WITH(api.conversation_state("c1"), Catch::Contains("'get_conversation_state'"));
}

TEST_CASE("Logger maps each level to the host's log callback", "[sdk][logger]") {
    FakeHost host;
    const cim::Logger log(&host.table);
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    CHECK(host.logs == std::vector<std::pair<cim_log_level_t, std::string>>{
                           {CIM_LOG_TRACE, "t"}, {CIM_LOG_DEBUG, "d"}, {CIM_LOG_INFO, "i"},
                           {CIM_LOG_WARN, "w"}, {CIM_LOG_ERROR, "e"}});

    // Without a log callback the line goes to stderr rather than throwing from a noexcept call.
    host.table.log = nullptr;
    log.info("to stderr");
    CHECK(host.logs.size() == 5);
}

TEST_CASE("rc_name names every return code", "[sdk][error]") {
    CHECK(cim::rc_name(CIM_OK) == "CIM_OK");
    CHECK(cim::rc_name(CIM_BUSY) == "CIM_BUSY");
    CHECK(cim::rc_name(CIM_STOPPED) == "CIM_STOPPED");
    CHECK(cim::rc_name(12345) == "CIM_UNKNOWN_RC");
}

TEST_CASE("parse_duration reads runtime.toml durations and refuses everything else", "[sdk]") {
    using namespace std::chrono_literals;
    CHECK(cim::parse_duration("250ms") == 250ms);
    CHECK(cim::parse_duration("90s") == 90s);
    CHECK(cim::parse_duration("10m") == 10min);
    CHECK(cim::parse_duration("2h") == 2h);
    for (const char* bad : {"", "0s", "-5s", "5", "s", "5 s", "5sec", "1.5s", "5S", "9999999999999999h"}) {
        INFO(bad);
        CHECK_FALSE(cim::parse_duration(bad).has_value());
    }
}

TEST_CASE("the error slot keeps a long message cut at its capacity, never inside a UTF-8 character", "[sdk]") {
    // A fixed buffer, not a std::string: a thread_local with a destructor would keep the plugin loaded after dlclose.
    static_assert(std::is_trivially_destructible_v<cim::detail::ErrorSlot>);
    cim::detail::ErrorSlot slot;
    CHECK(slot.c_str() == nullptr);
    slot.set("short");
    CHECK(std::string(slot.c_str()) == "short");
    std::string long_text(cim::detail::ErrorSlot::capacity - 4, 'x');
    long_text += "\xC3\xA9\xC3\xA9\xC3\xA9";  // "ééé" straddling the cut
    slot.set(long_text);
    const std::string kept = slot.c_str();
    CHECK(kept.size() <= cim::detail::ErrorSlot::capacity);
    CHECK(kept.substr(kept.size() - 3) == "...");
    CHECK((static_cast<unsigned char>(kept[kept.size() - 4]) & 0xC0) != 0xC0);  // no lead byte left without its tail
    slot.clear();
    CHECK(slot.c_str() == nullptr);
}
