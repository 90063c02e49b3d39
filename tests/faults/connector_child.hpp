// `cimrt run` as a child process serving the connector API of the real channel plugin on a free loopback port, with
// its journal where the test says: what a connector in production talks to, and what a fault test kills or starves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "../cli/run_process.hpp"
#include "../contact_center/connector_fixtures.hpp"
#include "../contact_center/web_clients.hpp"

namespace cim::test {

class ConnectorChild {
public:
    /// Writes `dir`/runtime.toml (channel plugin only; `store_extra` lines go into [store]) and starts `cimrt run`
    /// on it; returns once it serves. Throws when it does not start within 10 s.
    ConnectorChild(const std::filesystem::path& dir, const std::filesystem::path& journal, const std::string& sync,
                   const std::string& store_extra = {});

    /// POST /cim-messages of a PLAIN message with id `message_id` from `customer`.
    HttpReply post(const std::string& message_id, const std::string& customer, const std::string& text = "hello");
    /// SIGTERM, and the exit code (or -1 when it did not exit within 10 s).
    int terminate();

    const std::filesystem::path& config() const { return config_; }
    std::uint16_t port() const { return port_; }
    ChildProcess& process() { return *child_; }

private:
    std::filesystem::path config_;
    std::uint16_t port_ = 0;
    std::unique_ptr<ChildProcess> child_;
};

/// One keep-alive HTTP/1.1 connection to a connector API, as a connector's client pool keeps them. Throws (a
/// boost::system::system_error) when the server goes away.
class ConnectorConnection {
public:
    explicit ConnectorConnection(std::uint16_t port);
    ~ConnectorConnection();
    /// POST /cim-messages of a PLAIN message; the status code.
    unsigned post(const std::string& message_id, const std::string& customer, const std::string& text = "hello");

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// How often each CUSTOMER_MESSAGE id stands in the journal of `config`; plus, in `derived_missing`, every
/// CHANNEL_SESSION_STARTED whose derived TOPIC_STATE_CHANGED (id "<id>+1") is not in the journal.
std::multiset<std::string> journaled_messages(const std::filesystem::path& config,
                                              std::set<std::string>* derived_missing = nullptr);

}  // namespace cim::test
