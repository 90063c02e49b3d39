// A plugin that blocks in on_event for as long as its config says, as a plugin stuck on a slow database or a
// deadlock would: the runtime must name it (plugin, event, how long) and still stop within its deadline.
#include <thread>

#include "cim/sdk.hpp"

class Sleeper : public cim::Plugin {
public:
    explicit Sleeper(const cim::PluginContext& context)
        : cim::Plugin(context), sleep_ms_(config().value("sleep_ms", 0)) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "sleeper";
        m.version = "0.0.1";
        m.description = "sleeps in on_event";
        m.consumes = {"CUSTOMER_MESSAGE"};
        m.config_schema = {{"type", "object"},
                           {"properties", {{"sleep_ms", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}}};
        return m;
    }

    void on_event(const cim::Event&) { std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_)); }

private:
    int sleep_ms_;
};

CIM_PLUGIN(Sleeper);
