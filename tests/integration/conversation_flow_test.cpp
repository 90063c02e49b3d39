// Whole conversations through the real runtime (bus, session stage, journal), asserting the tracked state after each
// step — the unit tests of the tracker cover every rule; these prove the runtime applies them in the event path.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"

namespace {

// Records what a consumer sees, so a test can assert the derived events reach plugins.
class Recorder : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "recorder";
        m.version = "1";
        m.consumes = {"TOPIC_STATE_CHANGED", "CHANNEL_SESSION_EXPIRED", "CHANNEL_SESSION_ENDED"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back(std::string(event.name()) + ":" + (event.data().is_object() ? event.data().value("to", "") : ""));
    }
    std::vector<std::string> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> seen_;
};

struct Fixture {
    cim::core::ManualClock* clock = nullptr;
    std::unique_ptr<cim::runtime::Runtime> runtime;
    std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();

    Fixture() {
        auto config = cim::core::parse_config(
            "[store]\nkind = \"memory\"\n[sessions]\ncustomer_inactivity_timeout = \"10m\"\n", "<test>",
            std::filesystem::temp_directory_path());
        auto manual = std::make_unique<cim::core::ManualClock>();
        clock = manual.get();
        cim::runtime::RuntimeOptions quiet;
        quiet.log_to_stderr = false;
        runtime = cim::runtime::make_runtime(std::move(config), quiet, std::move(manual));
        runtime->add_handler(recorder);
        runtime->start();
    }
    ~Fixture() { runtime->stop(); }

    void publish(const std::string& json) {
        const auto result = runtime->publish_json(json);
        INFO(json << " -> " << result.error);
        REQUIRE(result.accepted());
        runtime->drain();
    }
    nlohmann::json state() const { return runtime->conversation_state("c1"); }
};

std::string event(const std::string& name, const std::string& emitter_type, const std::string& emitter_id,
                  const std::string& extra = "") {
    return R"({"name":")" + name + R"(","conversationId":"c1","channelSessionId":"s1","customerId":"u1",)" +
           R"("emitter":{"id":")" + emitter_id + R"(","type":")" + emitter_type + R"("})" + extra + "}";
}

}  // namespace

TEST_CASE("a chat served by the bot, escalated to an agent who wraps up, tracked step by step", "[sessions][flow]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "web", R"(,"data":{"channel":"WEB_CHAT"})"));
    REQUIRE(f.state()["state"] == "ACTIVE");
    REQUIRE(f.state()["channelSessions"][0]["state"] == "STARTED");

    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"id":"m1","data":{"body":{"markdownText":"hi"}})"));
    f.publish(event("BOT_MESSAGE", "BOT", "bot-1", R"(,"data":{"body":{"markdownText":"hello"}})"));
    REQUIRE(f.state()["participants"].size() == 1);
    REQUIRE(f.state()["participants"][0]["type"] == "BOT");

    f.publish(event("AGENT_SUBSCRIBED", "AGENT", "agent-7", R"(,"data":{"role":"PRIMARY"})"));
    REQUIRE(f.state()["participants"].size() == 2);
    REQUIRE(f.state()["state"] == "ACTIVE");

    f.publish(event("CHANNEL_SESSION_ENDED", "CONNECTOR", "web"));
    REQUIRE(f.state()["state"] == "WRAP_UP");  // the customer left, the agent is still there

    f.publish(event("WRAPUP_APPLIED", "AGENT", "agent-7", R"(,"data":{"categories":["resolved"]})"));
    REQUIRE(f.state()["state"] == "WRAP_UP");
    f.publish(event("AGENT_UNSUBSCRIBED", "AGENT", "agent-7"));
    REQUIRE(f.state()["state"] == "CLOSED");

    // Every state change was published (emitter SYSTEM) and reached a consumer, in order.
    const auto seen = f.recorder->seen();
    REQUIRE(std::count(seen.begin(), seen.end(), "TOPIC_STATE_CHANGED:ACTIVE") == 1);
    REQUIRE(std::find(seen.begin(), seen.end(), "TOPIC_STATE_CHANGED:WRAP_UP") <
            std::find(seen.begin(), seen.end(), "TOPIC_STATE_CHANGED:CLOSED"));

    // The timeline comes from the journal: the customer message is an activity of the conversation.
    const auto conversation = f.runtime->conversation("c1");
    REQUIRE(conversation["activities"][0]["id"] == "m1");
}

TEST_CASE("a chat expires on customer inactivity, driven by a manual clock", "[sessions][flow][timer]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "web"));
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"data":{})"));
    f.clock->advance(9 * 60 * 1000);
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"data":{})"));  // activity pushes the deadline on
    f.clock->advance(9 * 60 * 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    f.runtime->drain();
    REQUIRE(f.state()["channelSessions"][0]["state"] == "STARTED");

    f.clock->advance(60 * 1000 + 1);
    nlohmann::json state;
    for (int i = 0; i < 500; ++i) {
        f.runtime->drain();
        state = f.state();
        if (state["channelSessions"][0]["state"] == "EXPIRED") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(state["channelSessions"][0]["state"] == "EXPIRED");
    REQUIRE(state["state"] == "CLOSED");
    const auto seen = f.recorder->seen();
    REQUIRE(std::find(seen.begin(), seen.end(), "CHANNEL_SESSION_EXPIRED:") != seen.end());
}

TEST_CASE("a repeated event id is applied once and counted", "[sessions][flow]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "web", R"(,"id":"start-1")"));
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"id":"m1","data":{})"));
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"id":"m1","data":{})"));
    REQUIRE(f.runtime->metrics().duplicates == 1);
    REQUIRE(f.runtime->conversation("c1")["activities"].size() == 1);
}
