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

TEST_CASE("a voice call with two legs, a hold and a resume ends when the agent leaves", "[sessions][flow][call]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "pbx", R"(,"data":{"channel":"VOICE"})"));
    REQUIRE(f.state()["channelSessions"][0]["interactive"] == true);
    f.publish(event("AGENT_SUBSCRIBED", "AGENT", "agent-1"));
    f.publish(event("CALL_LEG_ENDED", "APP", "pbx", R"(,"id":"leg-ivr","data":{"leg":"IVR"})"));
    f.publish(event("CALL_HOLD", "AGENT", "agent-1"));
    REQUIRE(f.state()["state"] == "ON_HOLD");
    f.publish(event("CALL_RESUME", "AGENT", "agent-1"));
    REQUIRE(f.state()["state"] == "ACTIVE");
    f.publish(event("CALL_LEG_ENDED", "APP", "pbx", R"(,"id":"leg-agent","data":{"leg":"agent-1"})"));
    REQUIRE(f.state()["state"] == "ACTIVE");  // a leg ending is an activity, not the end of the call

    f.publish(event("AGENT_UNSUBSCRIBED", "AGENT", "agent-1"));
    // A call cannot outlive a participant: the runtime ended the session itself.
    REQUIRE(f.state()["channelSessions"][0]["state"] == "ENDED");
    REQUIRE(f.state()["state"] == "CLOSED");
    const auto seen = f.recorder->seen();
    REQUIRE(std::find(seen.begin(), seen.end(), "CHANNEL_SESSION_ENDED:") != seen.end());
    REQUIRE(std::find(seen.begin(), seen.end(), "TOPIC_STATE_CHANGED:ON_HOLD") != seen.end());

    const auto conversation = f.runtime->conversation("c1");
    REQUIRE(conversation["activities"].size() == 2);
    REQUIRE(conversation["activities"][0]["id"] == "leg-ivr");
}

TEST_CASE("reactions, an edit, a delete and receipts attach to their activity, an unknown target is kept",
          "[sessions][flow][updates]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "web"));
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"id":"m1","data":{"body":{"markdownText":"hi"}})"));
    f.publish(event("AGENT_MESSAGE", "AGENT", "agent-1", R"(,"id":"a1","data":{"body":{"markdownText":"hello"}})"));
    f.publish(event("MESSAGE_DELIVERY_NOTIFICATION", "AGENT", "agent-1", R"(,"refersTo":"m1","data":{"status":"READ"})"));
    f.publish(event("MESSAGE_DELIVERY_NOTIFICATION", "CONNECTOR", "web", R"(,"refersTo":"a1","data":{"status":"DELIVERED"})"));
    f.publish(event("ACTIVITY_REACTION", "CUSTOMER", "u1", R"(,"refersTo":"a1","data":{"emoji":"👍"})"));
    f.publish(event("ACTIVITY_MODIFIED", "CUSTOMER", "u1", R"(,"refersTo":"m1","data":{"action":"EDIT","markdownText":"hi!"})"));
    f.publish(event("ACTIVITY_MODIFIED", "CUSTOMER", "u1", R"(,"refersTo":"m1","data":{"action":"DELETE"})"));
    f.publish(event("ACTIVITY_REACTION", "AGENT", "supervisor", R"(,"id":"r9","refersTo":"gone","data":{"flag":"RUDE"})"));

    const auto c = f.runtime->conversation("c1");
    REQUIRE(c["activities"].size() == 2);
    const auto& m1 = c["activities"][0];
    REQUIRE(m1["updates"].size() == 3);
    REQUIRE(m1["updates"][0]["name"] == "MESSAGE_DELIVERY_NOTIFICATION");
    REQUIRE(m1["updates"][1]["data"]["action"] == "EDIT");
    REQUIRE(m1["updates"][2]["data"]["action"] == "DELETE");
    REQUIRE(m1["data"]["body"]["markdownText"] == "hi");  // updated, never rewritten
    const auto& a1 = c["activities"][1];
    REQUIRE(a1["updates"].size() == 2);
    REQUIRE(a1["updates"][1]["data"]["emoji"] == "👍");
    REQUIRE(c["unresolvedUpdates"].size() == 1);
    REQUIRE(c["unresolvedUpdates"][0]["id"] == "r9");
    REQUIRE(c["unresolvedUpdates"][0]["refersTo"] == "gone");
}

TEST_CASE("re-associating a conversation moves it and its activities to the new customer", "[sessions][flow][customer]") {
    Fixture f;
    f.publish(event("CHANNEL_SESSION_STARTED", "CONNECTOR", "web"));
    f.publish(event("CUSTOMER_MESSAGE", "CUSTOMER", "u1", R"(,"id":"m1","data":{})"));
    REQUIRE(f.runtime->customer_journey("u1")["activities"].size() == 1);

    f.publish(R"({"name":"ASSOCIATED_CUSTOMER_CHANGED","conversationId":"c1","customerId":"u2",)"
              R"("emitter":{"id":"agent-1","type":"AGENT"}})");
    REQUIRE(f.state()["customerId"] == "u2");
    REQUIRE(f.runtime->customer_journey("u1")["activities"].empty());
    const auto journey = f.runtime->customer_journey("u2");
    REQUIRE(journey["activities"].size() == 1);
    REQUIRE(journey["activities"][0]["id"] == "m1");
    REQUIRE(journey["activities"][0]["conversationId"] == "c1");
}
