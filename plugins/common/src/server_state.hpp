// What the server's coroutines share (HttpServer::State), and the few rules every connection follows: its slot in the
// limits, and how a plugin callback's or a coroutine's exception is reported instead of dropped. Private to
// http_server.cpp and websocket_session.hpp.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it with g++ 12

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>

#include "event_loop_impl.hpp"
#include "peer_limits.hpp"
#include "plugin_common/http_server.hpp"
#include "plugin_common/random_id.hpp"

namespace cim::web {

// Everything the server's coroutines share; kept alive by each of them, so a connection that outlives stop() still
// finds it.
struct HttpServer::State {
    State(EventLoop& l, Handler h, std::vector<WebSocketRoute> r, HttpServerOptions o)
        : loop(l),
          acceptor(l.impl().io),
          handler(std::move(h)),
          routes(std::move(r)),
          options(std::move(o)),
          limits(options.max_connections, options.max_connections_per_address) {}

    EventLoop& loop;
    boost::asio::ip::tcp::acceptor acceptor;
    Handler handler;
    std::vector<WebSocketRoute> routes;
    HttpServerOptions options;
    PeerLimits limits;
    std::atomic<std::size_t> peak_queued{0};
    std::uint64_t next_id = 1;
    // How to close each open connection at stop(); touched only on the loop's thread.
    std::unordered_map<std::uint64_t, std::function<void()>> closers;
    bool stopped = false;

    const WebSocketRoute* route(std::string_view path) const {
        for (const WebSocketRoute& r : routes) {
            if (r.path == path) return &r;
        }
        return nullptr;
    }

    void log(cim::LogLevel level, const std::string& message) const { loop.report(level, message); }
};

namespace detail {

// One accepted connection's place in the server: counted against the limits and closable at stop() from accept to
// the end of its coroutine, however that ends (an exception included). A WebSocket keeps the slot of the HTTP
// connection it was upgraded from.
class ConnectionSlot {
public:
    ConnectionSlot(std::shared_ptr<HttpServer::State> state, std::string peer)
        : state_(std::move(state)), peer_(std::move(peer)), id_(state_->next_id++) {}
    ~ConnectionSlot() {
        state_->closers.erase(id_);
        state_->limits.release(peer_);
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

    std::uint64_t id() const { return id_; }
    const std::string& peer() const { return peer_; }
    void on_stop(std::function<void()> close) { state_->closers[id_] = std::move(close); }

private:
    std::shared_ptr<HttpServer::State> state_;
    std::string peer_;
    std::uint64_t id_;
};

inline std::string short_error_id() { return common::random_hex_128().substr(0, 12); }

// Runs a plugin's callback so that its exception is reported (with an id) instead of unwinding the server's
// coroutine: returns false when it threw.
template <typename F>
bool call_guarded(const HttpServer::State& state, const char* what, const std::string& peer, F&& f) {
    try {
        f();
        return true;
    } catch (const std::exception& e) {
        state.log(cim::LogLevel::error, std::string(what) + " failed for a connection from " + peer + ": " + e.what());
    } catch (...) {
        state.log(cim::LogLevel::error, std::string(what) + " failed for a connection from " + peer + " (non-standard exception)");
    }
    return false;
}

// A completion handler for co_spawn: an exception that left a coroutine is logged, never dropped (asio::detached
// drops it silently, which is how a failing session used to vanish without its cleanup).
inline auto log_failure(std::shared_ptr<HttpServer::State> state, const char* what) {
    return [state = std::move(state), what](std::exception_ptr failure) {
        if (!failure) return;
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            state->log(cim::LogLevel::error, std::string(what) + " ended with an exception: " + e.what());
        } catch (...) {
            state->log(cim::LogLevel::error, std::string(what) + " ended with a non-standard exception");
        }
    };
}

}  // namespace detail
}  // namespace cim::web
