#include "plugin_common/http_server.hpp"

#include "server_state.hpp"
#include "websocket_session.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace cim::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

using detail::ConnectionSlot;
using detail::log_failure;
using detail::short_error_id;
using detail::WebSocketSession;

HttpRequest to_request(const http::request<http::string_body>& in, const std::string& peer) {
    HttpRequest out;
    out.method = std::string(in.method_string());
    const std::string_view target(in.target().data(), in.target().size());
    const auto question = target.find('?');
    out.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
    if (auto it = in.find(http::field::authorization); it != in.end()) out.authorization = std::string(it->value());
    if (auto it = in.find(http::field::content_type); it != in.end()) out.content_type = std::string(it->value());
    for (const auto& field : in) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    out.peer_address = peer;
    out.body = in.body();
    return out;
}

http::response<http::string_body> to_response(const HttpResponse& in, unsigned version, bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(in.status), version};
    out.set(http::field::server, "cimrt");
    out.set(http::field::content_type, in.content_type);
    out.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : in.headers) out.set(name, value);
    out.keep_alive(keep_alive);
    out.body() = in.body;
    out.prepare_payload();
    return out;
}

HttpResponse answer(HttpServer::State& state, const HttpRequest& request) {
    try {
        return state.handler(request);
    } catch (const std::exception& e) {
        // The client gets an id to quote, the operator the text: internal messages (paths, SQL, ids) stay inside.
        const std::string id = short_error_id();
        state.log(cim::LogLevel::error, "error " + id + ": " + request.method + " " + request.path + " failed: " + e.what());
        auto response = HttpResponse::error(500, "internal error; quote error id " + id + " to the operator");
        response.headers.emplace_back("X-Error-Id", id);
        return response;
    }
}

// A browser names the page that opens a WebSocket in Origin; only the server's own pages and the configured origins
// may, so another site cannot open a desk or chat socket with its visitor's browser. Non-browsers send no Origin.
bool origin_allowed(const HttpServer::State& state, const HttpRequest& request) {
    const std::string origin = request.header("origin");
    if (origin.empty()) return true;
    const std::string host = request.header("host");
    if (!host.empty() && (origin == "http://" + host || origin == "https://" + host)) return true;
    const auto& allowed = state.options.allowed_origins;
    return std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

awaitable<void> serve(std::shared_ptr<HttpServer::State> state, tcp::socket socket, std::string peer) {
    ConnectionSlot slot(state, std::move(peer));
    beast::tcp_stream stream(std::move(socket));
    // What a stopping server does to this connection; a deferred answer below widens it for its wait.
    const auto close_on_stop = [&slot, &stream] {
        slot.on_stop([&stream] {
            beast::error_code ignored;
            stream.socket().close(ignored);
        });
    };
    close_on_stop();
    beast::flat_buffer buffer;
    beast::error_code error;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(state->options.max_body);
        stream.expires_after(state->options.idle_timeout);  // an idle keep-alive connection or a trickling request
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
        if (error == http::error::body_limit) {
            auto response = to_response(HttpResponse::error(413, "request body too large"), 11, false);
            co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, error));
            break;
        }
        if (error) break;
        http::request<http::string_body> request = parser.release();
        HttpRequest plain = to_request(request, slot.peer());
        if (websocket::is_upgrade(request)) {
            if (const WebSocketRoute* route = state->route(plain.path)) {
                if (!origin_allowed(*state, plain)) {
                    state->log(cim::LogLevel::warn, "refused a WebSocket on " + plain.path + " from " + slot.peer() +
                                                        ": origin '" + plain.header("origin") + "' is not allowed");
                    auto response = to_response(HttpResponse::error(403, "this origin may not open a WebSocket here"),
                                                request.version(), false);
                    co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, error));
                    break;
                }
                stream.expires_never();  // the WebSocket keeps its own timeouts
                auto session = std::make_shared<WebSocketSession>(state, stream.release_socket(), *route, slot);
                co_await session->run(std::move(request), slot);
                co_return;
            }
        }
        const bool keep_alive = request.keep_alive();
        HttpResponse answered = answer(*state, plain);
        if (answered.deferred) {
            // Often already there (a store without sync = "full" answers on this thread): no timer, no extra turn.
            if (auto ready = answered.deferred->take()) answered = std::move(*ready);
        }
        if (answered.deferred) {
            auto timer = std::make_shared<asio::steady_timer>(stream.get_executor(), state->options.idle_timeout);
            slot.on_stop([&stream, timer] {  // a stopping server does not wait for the answer
                beast::error_code ignored;
                stream.socket().close(ignored);
                timer->cancel();
            });
            answered.deferred->on_ready([timer, executor = stream.get_executor()] {
                asio::post(executor, [timer] { timer->cancel(); });  // on the loop: the wait below is registered by then
            });
            co_await timer->async_wait(asio::redirect_error(use_awaitable, error));
            close_on_stop();
            if (!stream.socket().is_open()) break;
            auto given = answered.deferred->take();
            if (!given) {
                given = HttpResponse::error(503, "the answer was not ready in time; a retry is safe");
                given->headers.emplace_back("Retry-After", "1");
            }
            answered = std::move(*given);
        }
        auto response = to_response(answered, request.version(), keep_alive);
        stream.expires_after(state->options.idle_timeout);  // a client that never reads its answer
        co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, error));
        if (error || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, error);
}

// Out of descriptors (EMFILE, ENFILE): accepting again at once would fail again at once and spin the loop's thread,
// so wait, longer each time, until a connection closes and frees one.
bool out_of_descriptors(const beast::error_code& error) {
    return error == asio::error::no_descriptors || error == boost::system::errc::too_many_files_open_in_system;
}

awaitable<void> accept_all(std::shared_ptr<HttpServer::State> state) {
    auto backoff = std::chrono::milliseconds(10);
    for (;;) {
        beast::error_code error;
        tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(use_awaitable, error));
        if (!state->acceptor.is_open()) co_return;
        if (error) {
            if (out_of_descriptors(error)) {
                state->log(cim::LogLevel::warn, "cannot accept connections: " + error.message() + "; retrying in " +
                                                    std::to_string(backoff.count()) + " ms");
                asio::steady_timer wait(state->acceptor.get_executor(), backoff);
                co_await wait.async_wait(asio::redirect_error(use_awaitable, error));
                backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
            }
            continue;
        }
        backoff = std::chrono::milliseconds(10);
        beast::error_code ignored;
        const auto remote = socket.remote_endpoint(ignored);
        if (ignored) continue;  // already gone
        std::string peer = remote.address().to_string();
        if (!state->limits.admit(peer)) continue;  // the socket closes here: over the server's or the address's cap
        // What admit() counted, the ConnectionSlot made first thing in serve() releases, however serve() ends.
        asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket), std::move(peer)),
                       log_failure(state, "an HTTP connection"));
    }
}

}  // namespace

HttpServer::HttpServer(EventLoop& loop, ListenAddress address, Handler handler, std::vector<WebSocketRoute> routes,
                       HttpServerOptions options)
    : loop_(loop), state_(std::make_shared<State>(loop, std::move(handler), std::move(routes), std::move(options))) {
    address_ = std::move(address);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    const std::string where = address_.host + ":" + std::to_string(address_.port);
    try {
        const tcp::endpoint endpoint(asio::ip::make_address(address_.host), address_.port);
        state_->acceptor.open(endpoint.protocol());
        state_->acceptor.set_option(asio::socket_base::reuse_address(true));
        state_->acceptor.bind(endpoint);
        state_->acceptor.listen();
    } catch (const std::exception& e) {
        beast::error_code ignored;
        state_->acceptor.close(ignored);
        throw std::runtime_error("cannot listen on " + where + ": " + e.what());
    }
    port_ = state_->acceptor.local_endpoint().port();
    asio::co_spawn(loop_.impl().io, accept_all(state_), log_failure(state_, "the accept loop"));
}

std::uint16_t HttpServer::port() const { return port_; }

std::size_t HttpServer::connection_count() const { return state_->limits.total(); }

std::size_t HttpServer::peak_queued_bytes() const { return state_->peak_queued.load(std::memory_order_relaxed); }

void HttpServer::stop() {
    if (state_->stopped || !loop_.impl().thread.joinable()) {
        state_->stopped = true;
        return;
    }
    std::promise<void> done;
    asio::post(loop_.impl().io, [state = state_, &done] {
        state->stopped = true;
        beast::error_code ignored;
        state->acceptor.close(ignored);
        // A closer may end its coroutine synchronously and erase itself: iterate over a copy.
        auto closers = state->closers;
        for (auto& [id, close] : closers) close();
        done.set_value();
    });
    done.get_future().wait();
}

}  // namespace cim::web

