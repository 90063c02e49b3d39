// A plugin that throws in the hook its config names ("create", "start", "on_event", "on_timer", "stop"), so the
// tests can prove each failure is isolated: counted, logged with plugin and event, and nothing else disturbed.
#include "cim/sdk.hpp"

class Thrower : public cim::Plugin {
public:
    explicit Thrower(const cim::PluginContext& context)
        : cim::Plugin(context), throw_in_(config().value("throw_in", std::string())) {
        if (throw_in_ == "create") throw std::runtime_error("thrower: refusing to be created");
    }

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "thrower";
        m.version = "0.0.1";
        m.description = "throws where its config says";
        m.consumes = {"CUSTOMER_MESSAGE"};
        m.config_schema = {{"type", "object"},
                           {"properties",
                            {{"throw_in",
                              {{"type", "string"},
                               {"enum", {"", "create", "start", "on_event", "on_timer", "stop"}},
                               {"default", ""}}}}}};
        return m;
    }

    void on_start() {
        if (throw_in_ == "start") throw std::runtime_error("thrower: cannot start");
        if (throw_in_ == "on_timer") schedule(std::chrono::milliseconds(0), 7);
    }
    void on_event(const cim::Event& event) {
        if (throw_in_ == "on_event") throw std::runtime_error("thrower: cannot take " + std::string(event.id()));
    }
    void on_timer(std::uint64_t token) {
        if (throw_in_ == "on_timer") throw std::runtime_error("thrower: timer " + std::to_string(token) + " exploded");
    }
    void on_stop() {
        if (throw_in_ == "stop") throw std::runtime_error("thrower: cannot stop");
    }

private:
    std::string throw_in_;
};

CIM_PLUGIN(Thrower);
