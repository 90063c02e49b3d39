// Publishes with cim::Host::publish_async or, with `mode = "many"`, in one cim::Host::publish_many call (ABI 1.3),
// and writes down every outcome, for the tests of what each reports: each CUSTOMER_MESSAGE makes it publish `count`
// BOT_MESSAGEs (ids "<message id>/<i>", `padding` bytes of text each) into the same conversation — after waiting,
// when `wait_for` names a file, until that file exists (so a test can fill the disk in between). Each outcome
// appends "<i> <code> <event id or error>\n" to the file `results`. With `in_completion` = "throw" each
// publish_async completion throws after writing its line (the C++ layer must log and drop it); with "publish" it
// also publishes "<id>/inner" with the blocking publish() and appends "inner <i> <code> <error>" (refused on the
// store's writer thread, never a deadlock).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cim/sdk.hpp"

class AsyncPublisher : public cim::Plugin {
public:
    explicit AsyncPublisher(const cim::PluginContext& context)
        : cim::Plugin(context),
          results_(config().value("results", std::string())),
          wait_for_(config().value("wait_for", std::string())),
          count_(config().value("count", 1)),
          padding_(config().value("padding", 0)),
          many_(config().value("mode", std::string("async")) == "many"),
          in_completion_(config().value("in_completion", std::string())) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "async_publisher";
        m.version = "1.0.0";
        m.description = "publishes with publish_async or publish_many and records each outcome";
        m.publishes = {"BOT_MESSAGE"};
        m.consumes = {"CUSTOMER_MESSAGE"};
        m.config_schema = {{"type", "object"},
                           {"properties",
                            {{"results", {{"type", "string"}}},
                             {"wait_for", {{"type", "string"}}},
                             {"count", {{"type", "integer"}, {"minimum", 1}}},
                             {"padding", {{"type", "integer"}, {"minimum", 0}}},
                             {"mode", {{"type", "string"}, {"enum", {"async", "many"}}}},
                             {"in_completion", {{"type", "string"}, {"enum", {"", "throw", "publish"}}}}}}};
        return m;
    }

    void on_event(const cim::Event& event) {
        if (!wait_for_.empty()) {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (!std::filesystem::exists(wait_for_) && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
        const std::string text(static_cast<std::size_t>(padding_), 'x');
        std::vector<cim::OutgoingEvent> replies;
        for (int i = 0; i < count_; ++i) replies.push_back(reply(event, std::to_string(i), text));
        if (many_) {
            const auto results = host().publish_many(replies);
            for (std::size_t i = 0; i < results.size(); ++i) record(static_cast<int>(i), results[i], replies[i].id());
            return;
        }
        for (int i = 0; i < count_; ++i) {
            auto inner = reply(event, std::to_string(i) + "/inner", "inner");
            host().publish_async(replies[static_cast<std::size_t>(i)], [this, i, inner](const cim::PublishResult& result) {
                record(i, result, result.event_id);
                if (in_completion_ == "throw") throw std::runtime_error("completion " + std::to_string(i) + " throws");
                if (in_completion_ == "publish") {
                    const cim::PublishResult blocking = host().publish(inner);
                    std::lock_guard lock(mutex_);
                    std::ofstream(results_, std::ios::app) << "inner " << i << ' ' << blocking.code << ' ' << blocking.error
                                                           << '\n';
                }
            });
        }
    }

private:
    static cim::OutgoingEvent reply(const cim::Event& event, const std::string& suffix, const std::string& text) {
        return cim::OutgoingEvent("BOT_MESSAGE")
            .reply_to(event)
            .id(std::string(event.id()) + "/" + suffix)
            .emitter(cim::EmitterType::bot, "async_publisher")
            .data({{"body", {{"type", "PLAIN"}, {"markdownText", text}}}});
    }

    void record(int i, const cim::PublishResult& result, const std::string& id) {
        std::lock_guard lock(mutex_);
        std::ofstream(results_, std::ios::app) << i << ' ' << result.code << ' ' << (result.ok() ? id : result.error) << '\n';
    }

    std::mutex mutex_;
    std::string results_;
    std::string wait_for_;
    int count_;
    int padding_;
    bool many_;
    std::string in_completion_;
};

CIM_PLUGIN(AsyncPublisher);
