#include "plugin_common/http_server.hpp"

#include "event_loop_impl.hpp"

#include <deque>
#include <future>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
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

constexpr auto read_timeout = std::chrono::seconds(30);

class WebSocketSession;

}  // namespace

// Everything the server's coroutines share; kept alive by each of them, so a connection that outlives stop() still
// finds it.
struct HttpServer::State {
    State(asio::io_context& io, Handler h, std::vector<WebSocketRoute> r, HttpServerOptions o)
        : acceptor(io), handler(std::move(h)), routes(std::move(r)), options(o) {}

    tcp::acceptor acceptor;
    Handler handler;
    std::vector<WebSocketRoute> routes;
    HttpServerOptions options;
    std::uint64_t next_id = 1;
    // How to close each open connection at stop(); touched only on the loop's thread.
    std::unordered_map<std::uint64_t, std::function<void()>> closers;
    bool stopped = false;

    const WebSocketRoute* route(std::string_view path) const {
        for (const WebSocketRoute& r : routes) {
            if (r.path == path) return &r;
        }
        return nullptr;
    }
};

namespace {

// Removes a connection's closer when its coroutine ends, however it ends.
struct CloserRegistration {
    std::shared_ptr<HttpServer::State> state;
    std::uint64_t id;
    ~CloserRegistration() { state->closers.erase(id); }
};

class WebSocketSession final : public WebSocketConnection, public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(std::shared_ptr<HttpServer::State> state, tcp::socket socket, const WebSocketRoute& route)
        : state_(std::move(state)), route_(route), ws_(std::move(socket)), id_(state_->next_id++) {}

    void send(std::string text) override {
        asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
            self->enqueue(std::move(text));
        });
    }

    void close() override {
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->close_now(); });
    }

    std::uint64_t id() const override { return id_; }

    awaitable<void> run(http::request<http::string_body> request) {
        auto self = shared_from_this();
        state_->closers[id_] = [weak = std::weak_ptr<WebSocketSession>(self)] {
            if (auto s = weak.lock()) s->drop();
        };
        CloserRegistration registration{state_, id_};
        ws_.read_message_max(state_->options.max_message);
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        beast::error_code error;
        co_await ws_.async_accept(request, asio::redirect_error(use_awaitable, error));
        if (error) co_return;
        if (route_.on_open) route_.on_open(self);
        beast::flat_buffer buffer;
        while (!closed_) {
            co_await ws_.async_read(buffer, asio::redirect_error(use_awaitable, error));
            if (error) break;
            const auto data = buffer.data();
            route_.on_message(self, std::string_view(static_cast<const char*>(data.data()), data.size()));
            buffer.consume(buffer.size());
        }
        closed_ = true;
        if (route_.on_close) route_.on_close(self);
    }

private:
    void enqueue(std::string text) {
        if (closed_ || close_after_writing_) return;
        if (outbox_.size() >= state_->options.max_outbox) {
            drop();  // a client this far behind is gone or stuck; its page reconnects and replays
            return;
        }
        outbox_.push_back(std::move(text));
        if (writing_) return;
        writing_ = true;  // now, not when the coroutine starts: a second enqueue before then must not start another
        asio::co_spawn(ws_.get_executor(), write_all(shared_from_this()), asio::detached);
    }

    static awaitable<void> write_all(std::shared_ptr<WebSocketSession> self) {
        beast::error_code error;
        while (!self->outbox_.empty() && !self->dropped_) {
            self->ws_.text(true);
            co_await self->ws_.async_write(asio::buffer(self->outbox_.front()), asio::redirect_error(use_awaitable, error));
            if (error) break;
            self->outbox_.pop_front();
        }
        self->writing_ = false;
        if (self->close_after_writing_) self->close_now();
    }

    // A close requested after send() goes out after what was sent (an error frame, then the close).
    void close_now() {
        if (writing_) {
            close_after_writing_ = true;
            return;
        }
        if (closed_) return;
        closed_ = true;
        ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
    }

    // Closing the socket ends the pending read and write at once (used at stop and for slow clients).
    void drop() {
        closed_ = true;
        dropped_ = true;
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

    std::shared_ptr<HttpServer::State> state_;
    const WebSocketRoute& route_;
    websocket::stream<beast::tcp_stream> ws_;
    std::uint64_t id_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closed_ = false;               // no more frames are taken
    bool dropped_ = false;              // the socket is gone: stop writing at once
    bool close_after_writing_ = false;
};

HttpRequest to_request(const http::request<http::string_body>& in) {
    HttpRequest out;
    out.method = std::string(in.method_string());
    const std::string_view target(in.target().data(), in.target().size());
    const auto question = target.find('?');
    out.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
    if (auto it = in.find(http::field::authorization); it != in.end()) out.authorization = std::string(it->value());
    if (auto it = in.find(http::field::content_type); it != in.end()) out.content_type = std::string(it->value());
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

HttpResponse answer(HttpServer::State& state, const http::request<http::string_body>& request) {
    try {
        return state.handler(to_request(request));
    } catch (const std::exception& e) {
        return HttpResponse::error(500, e.what());
    }
}

awaitable<void> serve(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    const std::uint64_t id = state->next_id++;
    state->closers[id] = [&stream] {
        beast::error_code ignored;
        stream.socket().close(ignored);
    };
    CloserRegistration registration{state, id};
    beast::flat_buffer buffer;
    beast::error_code error;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(state->options.max_body);
        stream.expires_after(read_timeout);
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
        if (error == http::error::body_limit) {
            auto response = to_response(HttpResponse::error(413, "request body too large"), 11, false);
            co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, error));
            break;
        }
        if (error) break;
        http::request<http::string_body> request = parser.release();
        if (websocket::is_upgrade(request)) {
            const std::string_view target(request.target().data(), request.target().size());
            if (const WebSocketRoute* route = state->route(target.substr(0, target.find('?')))) {
                stream.expires_never();
                auto session = std::make_shared<WebSocketSession>(state, stream.release_socket(), *route);
                co_await session->run(std::move(request));
                co_return;
            }
        }
        const bool keep_alive = request.keep_alive();
        auto response = to_response(answer(*state, request), request.version(), keep_alive);
        co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, error));
        if (error || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, error);
}

awaitable<void> accept_all(std::shared_ptr<HttpServer::State> state) {
    for (;;) {
        beast::error_code error;
        tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(use_awaitable, error));
        if (!state->acceptor.is_open()) co_return;
        if (error) continue;
        if (state->closers.size() >= state->options.max_connections) continue;  // the socket closes here
        asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket)), asio::detached);
    }
}

}  // namespace

HttpServer::HttpServer(EventLoop& loop, ListenAddress address, Handler handler, std::vector<WebSocketRoute> routes,
                       HttpServerOptions options)
    : loop_(loop), state_(std::make_shared<State>(loop.impl().io, std::move(handler), std::move(routes), options)) {
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
    asio::co_spawn(loop_.impl().io, accept_all(state_), asio::detached);
}

std::uint16_t HttpServer::port() const { return port_; }

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
