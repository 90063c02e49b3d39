#include "metrics/http_endpoint.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace cim::core {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Member order is destruction order reversed, and matters: the io_context destroys the coroutines still pending in
// it, which touch `connections` on their way out, so it goes before the members they use; the acceptor goes first.
struct HttpEndpoint::State {
    Handler handler;
    Limits limits;
    std::atomic<std::size_t> connections{0};
    std::uint16_t port = 0;
    std::thread thread;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
};

namespace {

http::response<http::string_body> respond(HttpEndpoint::State& state, const http::request<http::empty_body>& request) {
    EndpointReply reply;
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
        reply = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    } else {
        const std::string_view target(request.target().data(), request.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        try {
            reply = state.handler(path);
        } catch (const std::exception&) {
            reply = {500, "text/plain; charset=utf-8", "internal error; see the runtime's log\n"};
        }
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
    response.set(http::field::server, "cimrt");
    response.set(http::field::content_type, reply.content_type);
    response.set(http::field::cache_control, "no-store");
    if (reply.status == 405) response.set(http::field::allow, "GET, HEAD");
    response.keep_alive(false);
    response.body() = request.method() == http::verb::head ? std::string() : std::move(reply.body);
    response.prepare_payload();
    if (request.method() == http::verb::head) response.content_length(reply.body.size());
    return response;
}

asio::awaitable<void> serve(HttpEndpoint::State* state, tcp::socket socket) {
    struct Slot {  // counts the connection while it lives, whatever way the coroutine ends
        HttpEndpoint::State& s;
        ~Slot() { s.connections.fetch_sub(1); }
    } slot{*state};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(8 * 1024);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(0);  // a GET carries no body; one that does is refused by the parser
    beast::error_code ec;
    stream.expires_after(state->limits.read_timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        if (ec != beast::error::timeout && ec != http::error::end_of_stream) {
            http::response<http::string_body> bad{http::status::bad_request, 11};
            bad.set(http::field::content_type, "text/plain; charset=utf-8");
            bad.body() = "bad request: " + ec.message() + "\n";
            bad.keep_alive(false);
            bad.prepare_payload();
            stream.expires_after(state->limits.write_timeout);
            co_await http::async_write(stream, bad, asio::redirect_error(asio::use_awaitable, ec));
        }
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return;
    }
    auto response = respond(*state, parser.get());
    stream.expires_after(state->limits.write_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> accept_loop(HttpEndpoint::State* state) {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
        if (ec) continue;  // e.g. out of descriptors for a moment: the next accept may work
        if (state->connections.fetch_add(1) >= state->limits.max_connections) {
            state->connections.fetch_sub(1);
            socket.close(ec);  // over the bound: closed at once, costing nothing further
            continue;
        }
        asio::co_spawn(state->io, serve(state, std::move(socket)), asio::detached);
    }
}

}  // namespace

HttpEndpoint::HttpEndpoint(const std::string& host, std::uint16_t port, Handler handler, Limits limits)
    : state_(std::make_unique<State>()) {
    state_->handler = std::move(handler);
    state_->limits = limits;
    const std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                              std::to_string(port);
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": '" + host + "' is not an IP address");
    const tcp::endpoint endpoint(address, port);
    state_->acceptor.open(endpoint.protocol(), ec);
    if (!ec) state_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) state_->acceptor.bind(endpoint, ec);
    if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    state_->port = state_->acceptor.local_endpoint().port();
    asio::co_spawn(state_->io, accept_loop(state_.get()), asio::detached);
    state_->thread = std::thread([state = state_.get()] { state->io.run(); });
}

HttpEndpoint::~HttpEndpoint() {
    asio::post(state_->io, [state = state_.get()] {
        beast::error_code ec;
        state->acceptor.close(ec);
        state->io.stop();  // connections still open are dropped with the context (State's member order)
    });
    if (state_->thread.joinable()) state_->thread.join();
}

std::uint16_t HttpEndpoint::port() const noexcept { return state_->port; }

}  // namespace cim::core
