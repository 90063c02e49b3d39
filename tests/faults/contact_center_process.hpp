// The test contact center (the four real plugins, tests/contact_center/contact_center.hpp) run as a child process
// with a manual clock (manual_clock_runtime), so a test can stop it with SIGTERM or kill it with SIGKILL mid-work,
// start it again on the same folder, store and ports with the clock where it stood, and step timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "../cli/run_process.hpp"
#include "../contact_center/contact_center.hpp"
#include "temp_dir.hpp"

namespace cim::test {

class ContactCenterProcess {
public:
    /// Writes runtime.toml for `setup` into a fresh folder and starts the child; returns once it runs.
    explicit ContactCenterProcess(const ContactCenterSetup& setup);
    /// Kills a child still running.
    ~ContactCenterProcess();

    /// Sends `signal` (SIGTERM, SIGKILL) and waits for the exit; its exit code (128 + signal when killed), -1 when it
    /// did not exit within 15 s.
    int stop(int signal);
    /// Starts the child again after stop(), on the same folder and ports, the clock where it stood.
    void start();
    /// Moves the clock by `delta` and returns once what the due timers published has been delivered.
    void advance(std::chrono::milliseconds delta);

    std::unique_ptr<WsClient> customer(const std::string& token = "", std::uint64_t last_seq = 0) const;
    std::unique_ptr<WsClient> desk(const std::string& agent_id) const;

    std::uint16_t channel_port() const { return channel_port_; }
    const std::filesystem::path& config() const { return config_; }

private:
    TempDir dir_{"cimrt-cc-process"};
    std::filesystem::path config_;
    std::uint16_t channel_port_ = 0;
    std::uint16_t agent_port_ = 0;
    std::int64_t clock_ms_;
    int advances_ = 0;  ///< in this child, for matching its "advanced #n" answers
    std::unique_ptr<ChildProcess> child_;
};

}  // namespace cim::test
