// A small read-only HTTP/1.1 endpoint on its own thread: what /metrics, /healthz and /readyz are served from
// ([metrics] listen). Not the plugins' HTTP server (plugins/common): the core serves three GETs and must depend on
// nothing of the plugins'. Each request is answered and its connection closed (scrapers and probes connect anew).
//
// Hostile clients are bounded: at most `max_connections` at once (more are closed at accept), a request must arrive
// within `read_timeout` and its header fit in 8 KiB, a body is refused; a slow reader gets `write_timeout`. None of
// it touches the bus: a page is rendered on this thread from counters.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cim::core {

/// What a GET of a path answers.
struct EndpointReply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class HttpEndpoint {
public:
    using Handler = std::function<EndpointReply(std::string_view path)>;
    struct Limits {
        std::size_t max_connections = 32;
        std::chrono::milliseconds read_timeout = std::chrono::seconds(5);
        std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
    };

    /// Binds `host`:`port` (port 0: any free port) and starts serving on its own thread. Throws std::runtime_error
    /// naming the address and the reason when it cannot bind. `handler` runs on that thread; an exception it throws
    /// becomes a 500 naming nothing internal.
    HttpEndpoint(const std::string& host, std::uint16_t port, Handler handler, Limits limits);
    HttpEndpoint(const std::string& host, std::uint16_t port, Handler handler)
        : HttpEndpoint(host, port, std::move(handler), Limits{}) {}
    /// Stops accepting, closes every connection and joins the thread.
    ~HttpEndpoint();  // (defined where State is complete)
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    /// The port bound (the chosen one when 0 was asked for).
    std::uint16_t port() const noexcept;

    struct State;

private:
    std::unique_ptr<State> state_;
};

}  // namespace cim::core
