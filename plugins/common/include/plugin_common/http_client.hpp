// Outbound HTTP POSTs of JSON on an EventLoop (webhooks, an external bot), one connection per request.
#pragma once

#include <chrono>
#include <functional>
#include <string>

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
    /// first. The whole exchange (resolve, connect, write, read) must finish within `timeout`. Thread-safe.
    void post_json(const HttpUrl& url, std::string json, std::chrono::milliseconds timeout,
                   std::function<void(HttpResult)> done);

private:
    EventLoop& loop_;
};

}  // namespace cim::web
