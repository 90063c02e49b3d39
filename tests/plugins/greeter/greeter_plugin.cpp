// The minimal C++ plugin: answers each CUSTOMER_MESSAGE with a BOT_MESSAGE greeting. Built twice: with the project's
// g++/libstdc++, and with clang++/libc++ (FIXTURE_NAME "greeter_libcxx") to prove the ABI crosses standard libraries.
#include "cim/sdk.hpp"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "greeter"
#endif
// The hot-reload test builds it twice under one name with two builds, to swap one for the other at the same path.
#ifndef FIXTURE_BUILD
#define FIXTURE_BUILD "1.2.3"
#endif

class Greeter : public cim::Plugin {
public:
    explicit Greeter(const cim::PluginContext& context)
        : cim::Plugin(context), greeting_(config().value("greeting", std::string("Hello"))) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = FIXTURE_NAME;
        m.version = FIXTURE_BUILD;
        m.description = "greets every customer message";
        m.publishes = {"BOT_MESSAGE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        m.config_schema = {
            {"type", "object"},
            {"properties", {{"greeting", {{"type", "string"}, {"default", "Hello"}, {"description", "what to say"}}}}}};
        return m;
    }

    void on_event(const cim::Event& event) {
        // data() parses the payload in this library's own standard library: part of what the libc++ build proves.
        const std::string text = event.data()["body"].value("markdownText", std::string());
        // A host query (ABI 1.1): the document crosses the boundary as text and is parsed on this side.
        const nlohmann::json conversation = host().conversation(event.conversation_id());
        auto reply = cim::OutgoingEvent("BOT_MESSAGE")
                         .reply_to(event)
                         .refers_to(std::string(event.id()))
                         .emitter(cim::EmitterType::bot, FIXTURE_NAME)
                         .data({{"body", {{"type", "PLAIN"}, {"markdownText", greeting_ + ", you said: " + text}}},
                                {"stdlib", stdlib_name()},
                                {"build", FIXTURE_BUILD},
                                {"conversationState", conversation.is_null() ? "" : conversation.value("state", "")},
                                {"activitiesSeen", conversation.is_null() ? 0 : conversation["activities"].size()}});
        if (auto result = publish(reply); !result.ok()) throw cim::Error(result.error);
    }

private:
    static const char* stdlib_name() {
#if defined(_LIBCPP_VERSION)
        return "libc++";
#else
        return "libstdc++";
#endif
    }
    std::string greeting_;
};

CIM_PLUGIN(Greeter);
