// The hello bot: answers every customer message with a greeting — a third-party plugin written against the
// installed cimrt SDK only.
#include <atomic>
#include <string>

#include <cim/sdk.hpp>

class HelloBot : public cim::Plugin {
public:
    explicit HelloBot(const cim::PluginContext& context)
        : cim::Plugin(context),
          // The runtime filled in the schema's defaults, so both keys are always present.
          greeting_(config()["greeting"].get<std::string>()),
          bot_name_(config()["bot_name"].get<std::string>()) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "hello";
        m.version = "1.0.0";
        m.description = "a greeter bot: answers every CUSTOMER_MESSAGE with a BOT_MESSAGE";
        m.publishes = {"BOT_MESSAGE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        m.config_schema = {
            {"type", "object"},
            {"properties",
             {{"greeting",
               {{"type", "string"}, {"default", "Hello! I am the hello bot."}, {"description", "what the bot answers"}}},
              {"bot_name",
               {{"type", "string"}, {"default", "hello-bot"}, {"minLength", 1},
                {"description", "the bot's participant id in the conversation"}}}}}};
        return m;
    }

    void on_event(const cim::Event& event) {
        const std::string text = event.data().is_object() && event.data().contains("body")
                                     ? event.data()["body"].value("markdownText", std::string())
                                     : std::string();
        const std::string message_id = bot_name_ + "-" + std::to_string(++replies_);
        // A CIM message, as a connector would receive it.
        const nlohmann::json message = {
            {"id", message_id},
            {"header", {{"sender", {{"id", bot_name_}, {"type", "BOT"}}}, {"replyToMessageId", std::string(event.id())}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", greeting_ + (text.empty() ? "" : " You said: " + text)}}}};
        const auto result = publish(cim::OutgoingEvent("BOT_MESSAGE")
                                        .reply_to(event)
                                        .refers_to(std::string(event.id()))
                                        .emitter(cim::EmitterType::bot, bot_name_, "Hello bot")
                                        .data(message));
        if (!result.ok()) throw cim::Error("hello: could not answer " + std::string(event.id()) + ": " + result.error);
        log().info("answered " + std::string(event.id()) + " in conversation " + std::string(event.conversation_id()));
    }

private:
    std::string greeting_;
    std::string bot_name_;
    std::atomic<long> replies_{0};  // on_event runs concurrently for different conversations
};

CIM_PLUGIN(HelloBot);
