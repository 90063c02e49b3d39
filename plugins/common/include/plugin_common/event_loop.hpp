// One thread running Asio for a plugin's network I/O (its HTTP/WebSocket server, its outbound HTTP calls).
//
// A plugin's hooks run on the runtime's worker threads; its sockets live here. Everything that touches a socket is
// posted onto this loop, so the plugin's network state needs no lock of its own.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

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

    struct Impl;
    /// For the server and client in this library; plugins never need it.
    Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace cim::web
