// A plugin that publishes an event its manifest does not declare. The host must refuse it, naming plugin and event;
// the plugin reports the refusal in a BOT_MESSAGE (which it did declare) so a test can read the exact message.
#include "cim/sdk.hpp"

class Undeclared : public cim::Plugin {
public:
    using cim::Plugin::Plugin;

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "undeclared";
        m.version = "0.0.1";
        m.publishes = {"BOT_MESSAGE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }

    void on_event(const cim::Event& event) {
        const cim::PublishResult sneaky = publish(cim::OutgoingEvent("AGENT_MESSAGE").reply_to(event));
        const cim::PublishResult report = publish(
            cim::OutgoingEvent("BOT_MESSAGE").reply_to(event).data({{"code", sneaky.code}, {"error", sneaky.error}}));
        if (!report.ok()) throw cim::Error(report.error);
    }
};

CIM_PLUGIN(Undeclared);
