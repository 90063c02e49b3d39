// Real HTTP and WebSocket clients over loopback for the contact-center tests (Boost.Beast), as a connector, a
// customer's browser or an agent's desk would speak to the plugins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace cim::test {

struct HttpReply {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

/// One blocking request to 127.0.0.1:port; `bearer` non-empty adds an Authorization header.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const std::string& bearer = {});

/// A WebSocket client on its own I/O thread; frames received are kept in order for the test to wait on.
class WsClient {
public:
    /// Connects and upgrades; `origin` non-empty sends it as a browser would. Throws when the server refuses.
    WsClient(std::uint16_t port, const std::string& path, const std::string& origin = {});
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    void send(const nlohmann::json& frame);
    /// The first frame after the previous expect()'s match satisfying `matches`; fails the test (throws) after
    /// `timeout`, naming `what` and listing what did arrive.
    nlohmann::json expect(const std::string& what, const std::function<bool(const nlohmann::json&)>& matches,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Whether a frame satisfying `matches` arrives within `window` (for asserting that something does NOT happen).
    bool receives_within(const std::function<bool(const nlohmann::json&)>& matches, std::chrono::milliseconds window);
    /// True once the server closed the connection.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::vector<nlohmann::json> frames() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<nlohmann::json> frames_;
    std::size_t cursor_ = 0;
    bool closed_ = false;
    friend struct Impl;
};

/// Connections that do nothing they are not told to, above all never read: a stuck or hostile client as the server
/// sees it. All on one thread-less io_context (blocking calls), so hundreds cost no threads.
class SilentClients {
public:
    SilentClients();
    ~SilentClients();
    /// A TCP connection that sends nothing at all.
    void open_tcp(std::uint16_t port);
    /// A WebSocket (handshake done) that sends `frames` and then never reads again.
    void open_ws(std::uint16_t port, const std::string& path, const std::vector<nlohmann::json>& frames = {});
    std::size_t size() const;
    /// How many the server has closed so far (reads what is buffered, without blocking, to find the end).
    std::size_t closed_by_server();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Polls `holds` every 20 ms until it is true or `timeout` has passed; its last answer.
bool eventually(const std::function<bool()>& holds, std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Descriptors this process has open (/proc/self/fd): the test hosts the runtime, so a leaked socket shows here.
std::size_t open_descriptors();

/// A frame predicate: `type` equals `type` and, if given, `conversationId` equals `conversation_id`.
std::function<bool(const nlohmann::json&)> frame_of(const std::string& type, const std::string& conversation_id = {});

/// An unused loopback port (bound, read, released): the tests configure the plugins with it.
std::uint16_t free_port();

}  // namespace cim::test
