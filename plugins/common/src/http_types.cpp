#include "plugin_common/http_types.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace cim::web {

HttpResponse HttpResponse::error(unsigned status, std::string_view message, std::string_view field) {
    nlohmann::json body = {{"error", message}};
    if (!field.empty()) body["field"] = field;
    // A message may quote the client's own bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
    return json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::pair<HttpResponse, std::shared_ptr<DeferredReply>> HttpResponse::later() {
    HttpResponse response;
    response.deferred = std::make_shared<DeferredReply>();
    auto reply = response.deferred;
    return {std::move(response), std::move(reply)};
}

void DeferredReply::send(HttpResponse response) {
    std::function<void()> wake;
    {
        std::lock_guard lock(mutex_);
        if (response_) return;
        response.deferred.reset();  // an answer is final: it cannot defer again
        response_ = std::move(response);
        wake = std::move(wake_);
    }
    if (wake) wake();
}

void DeferredReply::on_ready(std::function<void()> wake) {
    {
        std::lock_guard lock(mutex_);
        if (!response_) {
            wake_ = std::move(wake);
            return;
        }
    }
    wake();
}

std::optional<HttpResponse> DeferredReply::take() {
    std::lock_guard lock(mutex_);
    return std::exchange(response_, std::nullopt);
}

std::string HttpRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
            return value;
        }
    }
    return {};
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

namespace {

std::uint16_t parse_port(std::string_view text, std::string_view whole) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 65535) {
        throw std::invalid_argument("'" + std::string(whole) + "': the port must be a number from 0 to 65535");
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

ListenAddress ListenAddress::parse(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        throw std::invalid_argument("'" + std::string(text) + "': expected host:port, e.g. 127.0.0.1:8080");
    }
    ListenAddress address;
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    address.host = std::string(host);
    address.port = parse_port(text.substr(colon + 1), text);
    return address;
}

HttpUrl HttpUrl::parse(std::string_view text) {
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) {
        throw std::invalid_argument("'" + std::string(text) + "': only http:// URLs are supported");
    }
    const std::string_view rest = text.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    HttpUrl url;
    url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos || authority.back() == ']') {
        url.host = std::string(authority);
        url.port = "80";
    } else {
        url.host = std::string(authority.substr(0, colon));
        url.port = std::to_string(parse_port(authority.substr(colon + 1), text));
    }
    if (url.host.size() >= 2 && url.host.front() == '[') url.host = url.host.substr(1, url.host.size() - 2);
    if (url.host.empty()) throw std::invalid_argument("'" + std::string(text) + "': the URL names no host");
    return url;
}

}  // namespace cim::web
