// A small HTTP/1.1 + WebSocket server on an EventLoop (Boost.Beast underneath, hidden from plugin sources).
//
// Handlers and WebSocket callbacks run on the loop's thread, one at a time: a plugin keeps its per-connection state
// without locks as long as only these callbacks touch it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::web {

/// One open WebSocket. Shared: the server holds it while open; a plugin may keep it to push messages later.
class WebSocketConnection {
public:
    virtual ~WebSocketConnection() = default;
    /// Queues a text frame. Thread-safe; never blocks. A client with more than `max_queued_bytes` waiting is
    /// disconnected (a stuck browser must not grow the runtime's memory).
    virtual void send(std::string text) = 0;
    /// Closes the connection (a normal close frame). Thread-safe; idempotent.
    virtual void close() = 0;
    /// Unique per server, for maps keyed by connection.
    virtual std::uint64_t id() const = 0;
    /// The client's IP address (for per-address limits); empty when unknown (e.g. a test double).
    virtual std::string peer_address() const { return {}; }
    /// False once the connection is closing or closed. On the loop's thread only (e.g. when a result posted back to
    /// the loop finds the connection it was for).
    virtual bool is_open() const { return true; }
};

using ConnectionPtr = std::shared_ptr<WebSocketConnection>;

/// What happens on one WebSocket path.
struct WebSocketRoute {
    std::string path;                                                            ///< e.g. "/ws"
    std::function<void(const ConnectionPtr&)> on_open;                          ///< optional
    std::function<void(const ConnectionPtr&, std::string_view text)> on_message; ///< required
    std::function<void(const ConnectionPtr&)> on_close;                         ///< optional
};

/// What one client may cost the server. The plugins fill these from their config (server_limits.hpp).
struct HttpServerOptions {
    std::size_t max_body = 64 * 1024;                ///< larger requests get 413
    std::size_t max_message = 64 * 1024;             ///< a larger WebSocket message closes the connection
    std::size_t max_queued_bytes = 1024 * 1024;      ///< bytes waiting for one slow WebSocket client before it is dropped
    std::size_t max_connections = 1024;              ///< further connections are closed at once
    std::size_t max_connections_per_address = 128;   ///< the same, per client IP address
    double max_messages_per_second = 20;             ///< per WebSocket, sustained (twice that as a burst); more are read slower
    /// A connection that sends nothing for this long is closed: an idle keep-alive connection, a request that trickles
    /// in, a WebSocket whose client does not answer the ping sent at half of it.
    std::chrono::milliseconds idle_timeout{60000};
    /// Origins (scheme://host[:port]) whose pages may open a WebSocket, besides the server's own (http:// or
    /// https:// plus the request's Host). A request without Origin (not a browser) is allowed.
    std::vector<std::string> allowed_origins;
};

class HttpServer {
public:
    /// Answers a plain HTTP request. An exception becomes a 500 with a generic message and an error id; the id and the
    /// exception's text go to the loop's log, never to the client.
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    HttpServer(EventLoop& loop, ListenAddress address, Handler handler, std::vector<WebSocketRoute> routes,
               HttpServerOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds and starts accepting; the loop must be started. @throws std::runtime_error naming the address and why.
    void start();
    /// The bound port (the real one when the address asked for port 0). Valid after start().
    std::uint16_t port() const;
    /// Stops accepting and closes every connection; waits until that is done on the loop. Idempotent.
    void stop();
    /// Open connections now (HTTP and WebSocket alike, each counted once). Thread-safe.
    std::size_t connection_count() const;
    /// The most bytes ever queued for one WebSocket client (for a gauge, and to prove the cap holds). Thread-safe.
    std::size_t peak_queued_bytes() const;

    struct State;

private:
    EventLoop& loop_;
    ListenAddress address_;
    std::uint16_t port_ = 0;
    std::shared_ptr<State> state_;
};

}  // namespace cim::web
