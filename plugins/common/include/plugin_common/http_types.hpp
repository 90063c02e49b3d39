// Plain request/response values the in-tree plugins' HTTP handlers work with, so no plugin source needs Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cim::web {

/// An HTTP request as a handler sees it: the body is complete (the server enforces a size limit first).
struct HttpRequest {
    std::string method;         ///< "GET", "POST", ...
    std::string path;           ///< the target without its query string
    std::string query;          ///< the text after '?', undecoded; empty when there is none
    std::string authorization;  ///< the Authorization header, verbatim; empty when absent
    std::string content_type;
    std::string body;
    /// Every header as received, names lowercased (HTTP names are case-insensitive), in order.
    std::vector<std::pair<std::string, std::string>> headers;
    /// The client's IP address as the socket sees it ("127.0.0.1", "::1"); a proxy in front shows as itself.
    std::string peer_address;

    /// The first header named `name` (any case); empty when absent.
    std::string header(std::string_view name) const;
};

class DeferredReply;

/// What a handler answers.
struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, e.g. {"Retry-After", "1"}
    /// Set by later(): the answer comes through this reply instead (the fields above are unused).
    std::shared_ptr<DeferredReply> deferred;

    /// A JSON error body `{"error": message}` plus `"field": field` when the problem is one field of the request.
    static HttpResponse error(unsigned status, std::string_view message, std::string_view field = {});
    /// A JSON body.
    static HttpResponse json(unsigned status, std::string body);
    /// An answer given later, from any thread: return the response, keep the reply and send() on it once (e.g. when
    /// an asynchronous publish is durable). The connection waits for it — at most the server's idle_timeout, then it
    /// answers 503 — and keeps its keep-alive order; the loop's thread is free meanwhile.
    static std::pair<HttpResponse, std::shared_ptr<DeferredReply>> later();
};

/// The far end of HttpResponse::later(). Thread-safe.
class DeferredReply {
public:
    /// Hands over the answer; the first call wins, later ones are ignored. Never blocks.
    void send(HttpResponse response);
    /// For the server: calls `wake` once the answer is there (at once, on this thread, when it already is).
    void on_ready(std::function<void()> wake);
    /// For the server: the answer, once sent; empty before.
    std::optional<HttpResponse> take();

private:
    std::mutex mutex_;
    std::optional<HttpResponse> response_;
    std::function<void()> wake_;
};

/// "host:port" with a numeric port (0 = any free port); IPv6 hosts in brackets: "[::1]:8080".
struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;

    /// @throws std::invalid_argument naming what is wrong with `text`.
    static ListenAddress parse(std::string_view text);
};

/// An absolute http:// URL split for a client; https is not supported (a TLS-terminating proxy sits in front).
struct HttpUrl {
    std::string host;
    std::string port;    ///< "80" when the URL names none
    std::string target;  ///< path and query, "/" when empty

    /// @throws std::invalid_argument naming what is wrong with `text`.
    static HttpUrl parse(std::string_view text);
};

}  // namespace cim::web
