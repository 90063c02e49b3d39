#include "plugin_common/http_client.hpp"

#include "event_loop_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace cim::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

asio::awaitable<HttpResult> exchange(HttpUrl url, std::string json, std::chrono::milliseconds timeout, Headers headers) {
    HttpResult result;
    const auto executor = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    beast::error_code error;
    bool resolve_timed_out = false;
    const auto fail = [&](std::string_view what) {
        result.error = error == beast::error::timeout || resolve_timed_out
                           ? "timed out after " + std::to_string(timeout.count()) + " ms (" + std::string(what) + ")"
                           : std::string(what) + ": " + error.message();
        return result;
    };
    // The resolver has no deadline of its own: a timer cancels it, so a DNS server that never answers cannot hold a
    // webhook (and the conversation's queue behind it) beyond its deadline.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer resolve_deadline(executor, deadline);
    resolve_deadline.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver), &resolve_timed_out](beast::error_code e) {
        if (e) return;  // cancelled: the resolution finished first (and the frame may be gone: touch nothing)
        if (auto r = weak.lock()) {
            resolve_timed_out = true;
            r->cancel();
        }
    });
    const auto endpoints = co_await resolver->async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, error));
    resolve_deadline.cancel();
    if (error || resolve_timed_out) co_return fail("cannot resolve " + url.host);
    resolver.reset();
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);  // one deadline for the whole exchange
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return fail("cannot connect to " + url.host + ":" + url.port);
    http::request<http::string_body> request{http::verb::post, url.target, 11};
    request.set(http::field::host, url.host + ":" + url.port);
    request.set(http::field::user_agent, "cimrt");
    request.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(json);
    request.prepare_payload();
    co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return fail("cannot send");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return fail("no response");
    const auto& response = parser.get();
    result.status = response.result_int();
    result.body = response.body();
    result.ok = result.status >= 200 && result.status < 300;
    if (!result.ok) result.error = "HTTP " + std::to_string(result.status);
    stream.socket().shutdown(tcp::socket::shutdown_both, error);
    co_return result;
}

}  // namespace

void HttpClient::post_json(const HttpUrl& url, std::string json, std::chrono::milliseconds timeout,
                           std::function<void(HttpResult)> done) {
    post_json(url, std::move(json), timeout, {}, std::move(done));
}

void HttpClient::post_json(const HttpUrl& url, std::string json, std::chrono::milliseconds timeout, Headers headers,
                           std::function<void(HttpResult)> done) {
    asio::co_spawn(loop_.impl().io, exchange(url, std::move(json), timeout, std::move(headers)),
                   [loop = &loop_, done = std::move(done)](std::exception_ptr failure, HttpResult result) {
                       if (failure) {
                           result = {};
                           try {
                               std::rethrow_exception(failure);
                           } catch (const std::exception& e) {
                               result.error = e.what();
                           } catch (...) {
                               result.error = "non-standard exception";
                           }
                       }
                       // What the caller does with the answer (parse a bot's reply, publish) must not throw through
                       // the loop: that used to end the runtime with std::terminate.
                       try {
                           done(std::move(result));
                       } catch (const std::exception& e) {
                           loop->report(cim::LogLevel::error, std::string("handling an HTTP response failed: ") + e.what());
                       } catch (...) {
                           loop->report(cim::LogLevel::error, "handling an HTTP response failed (non-standard exception)");
                       }
                   });
}

}  // namespace cim::web
