// A plugin declaring the custom event "acme.SCORE". Built twice with different types (FIXTURE_NAME / FIXTURE_TYPE)
// so loading both must fail, naming both plugins.
#include "cim/sdk.hpp"

class CustomEventPlugin : public cim::Plugin {
public:
    using cim::Plugin::Plugin;

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = FIXTURE_NAME;
        m.version = "0.0.1";
        m.custom_events = {{"acme.SCORE", cim::EventType::FIXTURE_TYPE, "a score from the acme survey tool"}};
        m.publishes = {"acme.SCORE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }

    void on_event(const cim::Event& event) {
        if (auto result = publish(cim::OutgoingEvent("acme.SCORE").reply_to(event).data({{"score", 5}})); !result.ok()) {
            throw cim::Error(result.error);
        }
    }
};

CIM_PLUGIN(CustomEventPlugin);
