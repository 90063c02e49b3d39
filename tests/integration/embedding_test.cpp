// The embedding API as a product uses it: handlers under the plugin rules, and several runtimes in one process.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

namespace {

// Answers each customer message; on "sneak" it also tries an event its manifest does not declare.
class Responder : public cim::runtime::Handler {
public:
    explicit Responder(std::string name) : name_(std::move(name)) {}
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = name_;
        m.version = "1";
        m.publishes = {"BOT_MESSAGE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back(std::string(event.conversation_id()));
        if (event.data().value("text", "") == "sneak") {
            sneaky_ = publish(cim::OutgoingEvent("AGENT_MESSAGE").reply_to(event));
        }
        replies_.push_back(publish(cim::OutgoingEvent("BOT_MESSAGE").reply_to(event).emitter(cim::EmitterType::bot, name_)));
    }
    std::vector<std::string> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    cim::runtime::PublishResult sneaky() const {
        std::lock_guard lock(mutex_);
        return sneaky_;
    }

private:
    std::string name_;
    mutable std::mutex mutex_;
    std::vector<std::string> seen_;
    std::vector<cim::runtime::PublishResult> replies_;
    cim::runtime::PublishResult sneaky_;
};

std::unique_ptr<cim::runtime::Runtime> memory_runtime() {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    return cim::runtime::Runtime::from_string("[store]\nkind = \"memory\"\n", std::filesystem::temp_directory_path(), quiet);
}

std::string message(const std::string& conversation, const std::string& text) {
    return R"({"name":"CUSTOMER_MESSAGE","conversationId":")" + conversation + R"(","customerId":"u1","data":{"text":")" +
           text + R"("}})";
}

}  // namespace

TEST_CASE("two runtimes in one process share nothing", "[embedding]") {
    auto first = memory_runtime();
    auto second = memory_runtime();
    auto a = std::make_shared<Responder>("responder");  // the same name in both runtimes: names are per runtime
    auto b = std::make_shared<Responder>("responder");
    first->add_handler(a);
    second->add_handler(b);
    first->start();
    second->start();
    REQUIRE(first->publish_json(message("c-first", "hi")).accepted());
    REQUIRE(second->publish_json(message("c-second", "hi")).accepted());
    first->drain();
    second->drain();
    REQUIRE(a->seen() == std::vector<std::string>{"c-first"});
    REQUIRE(b->seen() == std::vector<std::string>{"c-second"});
    REQUIRE(first->conversation_state("c-second").is_null());
    REQUIRE(second->conversation_state("c-second")["activities"].is_null());  // state only; the timeline is conversation()
    REQUIRE(second->conversation("c-second")["activities"].size() == 2);     // the message and the handler's reply
    REQUIRE(first->metrics().accepted == 2);
    first->stop();
    second->stop();
}

TEST_CASE("an in-process handler obeys the manifest rules of a plugin", "[embedding]") {
    auto runtime = memory_runtime();
    auto responder = std::make_shared<Responder>("responder");
    runtime->add_handler(responder);
    runtime->start();
    REQUIRE(runtime->publish_json(message("c1", "sneak")).accepted());
    runtime->drain();
    REQUIRE(responder->sneaky().status == cim::runtime::PublishStatus::not_declared);
    REQUIRE(responder->sneaky().error ==
            "plugin 'responder' published AGENT_MESSAGE, which its manifest does not declare under publishes");
    const auto plugins = runtime->plugins();
    REQUIRE(plugins.size() == 1);
    REQUIRE(plugins[0].abi_version == "in-process");
    REQUIRE(plugins[0].delivered == 1);

    // A handler belongs to one runtime, and only before start.
    REQUIRE_THROWS_AS(runtime->add_handler(std::make_shared<Responder>("late")), cim::runtime::Error);
    runtime->stop();
    auto other = memory_runtime();
    REQUIRE_THROWS_WITH(other->add_handler(responder), Catch::Contains("already registered with a runtime"));
}
