#include "contact_center_process.hpp"

#include <fstream>
#include <stdexcept>

#include "bus/clock.hpp"

namespace cim::test {

ContactCenterProcess::ContactCenterProcess(const ContactCenterSetup& setup)
    : channel_port_(free_port()), agent_port_(free_port()), clock_ms_(cim::core::ManualClock().now_ms()) {
    config_ = dir_.path / "runtime.toml";
    std::ofstream(config_) << contact_center_toml(setup, channel_port_, agent_port_);
    start();
}

ContactCenterProcess::~ContactCenterProcess() = default;  // ChildProcess kills and reaps what still runs

void ContactCenterProcess::start() {
    advances_ = 0;
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{CIMRT_MANUAL_CLOCK_RUNTIME, config_.string(), std::to_string(clock_ms_)});
    if (!child_->wait_for_stderr("running now=", std::chrono::seconds(15))) {
        throw std::runtime_error("the contact center did not start:\n" + child_->err());
    }
}

int ContactCenterProcess::stop(int signal) {
    child_->send_signal(signal);
    const int code = child_->wait(std::chrono::seconds(15)).value_or(-1);
    if (code != 0 && code != 128 + signal) throw std::runtime_error("the contact center ended badly:\n" + child_->err());
    return code;
}

void ContactCenterProcess::advance(std::chrono::milliseconds delta) {
    child_->write_stdin("advance " + std::to_string(delta.count()) + "\n");
    const std::string answer = "advanced #" + std::to_string(++advances_) + " ";
    if (!child_->wait_for_stderr(answer, std::chrono::seconds(15))) {
        throw std::runtime_error("the clock did not advance:\n" + child_->err());
    }
    clock_ms_ += delta.count();
}

std::unique_ptr<WsClient> ContactCenterProcess::customer(const std::string& token, std::uint64_t last_seq) const {
    return web_chat_page(channel_port_, token, last_seq);
}

std::unique_ptr<WsClient> ContactCenterProcess::desk(const std::string& agent_id) const {
    return agent_desk(agent_port_, agent_id);
}

}  // namespace cim::test
