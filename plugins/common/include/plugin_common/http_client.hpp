// Outbound HTTP POSTs of JSON on an EventLoop (webhooks, an external bot), one connection per request.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::web {

/// How one request ended.
struct HttpResult {
    bool ok = false;      ///< a response with a 2xx status arrived
    unsigned status = 0;  ///< 0 when no response arrived at all
    std::string body;
    std::string error;    ///< why it failed: "connection refused", "timed out after 5000 ms", "HTTP 500", ...
};

class HttpClient {
public:
    explicit HttpClient(EventLoop& loop) : loop_(loop) {}

    /// POSTs `json` to `url`; `done` runs on the loop's thread with the outcome, exactly once, unless the loop stops
    /// first. The whole exchange (resolve, connect, write, read) must finish within `timeout`: a slow DNS server
    /// counts against it too. Thread-safe.
    void post_json(const HttpUrl& url, std::string json, std::chrono::milliseconds timeout,
                   std::function<void(HttpResult)> done);
    /// The same with extra request headers (a webhook's signature). An exception `done` throws is logged to the loop's
    /// log, never let loose on the loop.
    void post_json(const HttpUrl& url, std::string json, std::chrono::milliseconds timeout,
                   std::vector<std::pair<std::string, std::string>> headers, std::function<void(HttpResult)> done);

private:
    EventLoop& loop_;
};

}  // namespace cim::web
