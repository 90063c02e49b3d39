// A product embedding cimrt: two runtimes in one process, an in-process handler, events published from code.
// Uses only the installed headers (cim/runtime/*.hpp, cim/*.hpp).
//
//   embed [PLUGIN.so]   — with a plugin path (e.g. the hello bot), its replies are awaited too.
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include <cim/runtime/runtime.hpp>

namespace {

// Collects what the product cares about: every customer message and every bot reply.
class Transcript : public cim::runtime::Handler {
public:
    explicit Transcript(std::string name) : name_(std::move(name)) {}

    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = name_;
        m.version = "1.0.0";
        m.description = "records the conversation for the product's UI";
        m.consumes = {"CUSTOMER_MESSAGE", "BOT_MESSAGE"};
        return m;
    }

    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        lines_.push_back(std::string(event.name()) + " " + std::string(event.conversation_id()));
        changed_.notify_all();
    }

    bool wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return lines_.size() >= count; });
    }
    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::string name_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

std::string config_for(const char* plugin) {
    std::string toml = "[runtime]\nthreads = 2\n[store]\nkind = \"memory\"\n";
    if (plugin != nullptr) toml += std::string("[plugins.hello]\npath = \"") + plugin + "\"\n";
    return toml;
}

}  // namespace

int main(int argc, char** argv) {
    const char* plugin = argc > 1 ? argv[1] : nullptr;
    try {
        cim::runtime::RuntimeOptions options;
        options.log_level = "warn";
        // Two independent runtimes: nothing in cimrt is global.
        auto first = cim::runtime::Runtime::from_string(config_for(plugin), ".", options);
        auto second = cim::runtime::Runtime::from_string(config_for(nullptr), ".", options);
        auto first_transcript = std::make_shared<Transcript>("transcript");
        auto second_transcript = std::make_shared<Transcript>("transcript");
        first->add_handler(first_transcript);
        second->add_handler(second_transcript);
        first->start();
        second->start();

        const auto accepted = first->publish(cim::OutgoingEvent("CUSTOMER_MESSAGE")
                                                 .conversation("conv-a")
                                                 .customer("cust-1")
                                                 .emitter(cim::EmitterType::customer, "cust-1", "Ann")
                                                 .data({{"body", {{"type", "PLAIN"}, {"markdownText", "Hello?"}}}}));
        const auto also = second->publish_json(
            R"({"name":"CUSTOMER_MESSAGE","conversationId":"conv-b","customerId":"cust-2","data":{}})");
        const auto rejected = second->publish_json(R"({"name":"CUSTOMER_MESSAGE"})");
        if (!accepted.accepted() || !also.accepted() || rejected.accepted()) {
            std::cerr << "embed: unexpected publish results: " << accepted.error << " / " << also.error << '\n';
            return 1;
        }
        std::cout << "rejected as expected: " << rejected.error << '\n';

        const std::size_t expected_first = plugin != nullptr ? 2 : 1;  // the hello bot answers
        if (!first_transcript->wait_for(expected_first) || !second_transcript->wait_for(1)) {
            std::cerr << "embed: events did not arrive\n";
            return 1;
        }
        for (const auto& line : first_transcript->lines()) std::cout << "runtime 1: " << line << '\n';
        for (const auto& line : second_transcript->lines()) std::cout << "runtime 2: " << line << '\n';
        std::cout << "conversation conv-a is " << first->conversation_state("conv-a")["state"] << '\n';
        first->stop();
        second->stop();
        if (second_transcript->lines().size() != 1) return 1;  // runtime 2 never saw runtime 1's events
    } catch (const cim::runtime::Error& e) {
        std::cerr << "embed: " << e.what() << '\n';
        return 2;
    }
    std::cout << "ok\n";
    return 0;
}
