// A small HTTP/1.1 + WebSocket server on an EventLoop (Boost.Beast underneath, hidden from plugin sources).
//
// Handlers and WebSocket callbacks run on the loop's thread, one at a time: a plugin keeps its per-connection state
// without locks as long as only these callbacks touch it.
#pragma once

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
    /// Queues a text frame. Thread-safe; never blocks. A client that falls `max_outbox` frames behind is disconnected
    /// (a stuck browser must not grow the runtime's memory).
    virtual void send(std::string text) = 0;
    /// Closes the connection (a normal close frame). Thread-safe; idempotent.
    virtual void close() = 0;
    /// Unique per server, for maps keyed by connection.
    virtual std::uint64_t id() const = 0;
};

using ConnectionPtr = std::shared_ptr<WebSocketConnection>;

/// What happens on one WebSocket path.
struct WebSocketRoute {
    std::string path;                                                            ///< e.g. "/ws"
    std::function<void(const ConnectionPtr&)> on_open;                          ///< optional
    std::function<void(const ConnectionPtr&, std::string_view text)> on_message; ///< required
    std::function<void(const ConnectionPtr&)> on_close;                         ///< optional
};

struct HttpServerOptions {
    std::size_t max_body = 64 * 1024;       ///< larger requests get 413
    std::size_t max_message = 64 * 1024;    ///< a larger WebSocket message closes the connection
    std::size_t max_outbox = 1024;          ///< frames queued for one slow WebSocket client before it is dropped
    std::size_t max_connections = 1024;     ///< further connections are closed at once
};

class HttpServer {
public:
    /// Answers a plain HTTP request. An exception becomes a 500 with its message.
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

    struct State;

private:
    EventLoop& loop_;
    ListenAddress address_;
    std::uint16_t port_ = 0;
    std::shared_ptr<State> state_;
};

}  // namespace cim::web
