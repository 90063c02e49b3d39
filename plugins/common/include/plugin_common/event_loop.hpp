// One thread running Asio for a plugin's network I/O (its HTTP/WebSocket server, its outbound HTTP calls).
//
// A plugin's hooks run on the runtime's worker threads; its sockets live here. Everything that touches a socket is
// posted onto this loop, so the plugin's network state needs no lock of its own.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <cim/logger.hpp>

namespace cim::web {

class EventLoop {
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    /// Starts the loop's thread. Idempotent.
    void start();
    /// Stops the loop and joins its thread; pending handlers are dropped. Idempotent; not from the loop's own thread.
    void stop();

    /// Runs `task` on the loop's thread. Thread-safe.
    void post(std::function<void()> task);
    /// Runs `task` on the loop's thread after `delay`, unless the loop stops first. Thread-safe.
    void post_after(std::chrono::milliseconds delay, std::function<void()> task);

    /// Where the loop, its server and its client report what went wrong inside a completion handler (an exception a
    /// handler threw, a connection closed for breaking a limit): a plugin passes its own log. Set before start().
    using Log = std::function<void(cim::LogLevel, const std::string&)>;
    void set_log(Log log);
    /// Reports through the log set with set_log() (nothing when none is set). Never throws.
    void report(cim::LogLevel level, const std::string& message) const noexcept;

    struct Impl;
    /// For the server and client in this library; plugins never need it.
    Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace cim::web
