#include "plugin_common/http_server.hpp"

#include "event_loop_impl.hpp"
#include "peer_limits.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <future>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "plugin_common/random_id.hpp"
#include "plugin_common/rate_limit.hpp"

namespace cim::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// Everything the server's coroutines share; kept alive by each of them, so a connection that outlives stop() still
// finds it.
struct HttpServer::State {
    State(EventLoop& l, Handler h, std::vector<WebSocketRoute> r, HttpServerOptions o)
        : loop(l),
          acceptor(l.impl().io),
          handler(std::move(h)),
          routes(std::move(r)),
          options(std::move(o)),
          limits(options.max_connections, options.max_connections_per_address) {}

    EventLoop& loop;
    tcp::acceptor acceptor;
    Handler handler;
    std::vector<WebSocketRoute> routes;
    HttpServerOptions options;
    PeerLimits limits;
    std::atomic<std::size_t> peak_queued{0};
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

    void log(cim::LogLevel level, const std::string& message) const { loop.report(level, message); }
};

namespace {

// One accepted connection's place in the server: counted against the limits and closable at stop() from accept to
// the end of its coroutine, however that ends (an exception included). A WebSocket keeps the slot of the HTTP
// connection it was upgraded from.
class ConnectionSlot {
public:
    ConnectionSlot(std::shared_ptr<HttpServer::State> state, std::string peer)
        : state_(std::move(state)), peer_(std::move(peer)), id_(state_->next_id++) {}
    ~ConnectionSlot() {
        state_->closers.erase(id_);
        state_->limits.release(peer_);
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

    std::uint64_t id() const { return id_; }
    const std::string& peer() const { return peer_; }
    void on_stop(std::function<void()> close) { state_->closers[id_] = std::move(close); }

private:
    std::shared_ptr<HttpServer::State> state_;
    std::string peer_;
    std::uint64_t id_;
};

std::string short_error_id() { return common::random_hex_128().substr(0, 12); }

// Runs a plugin's callback so that its exception is reported (with an id) instead of unwinding the server's
// coroutine: returns false when it threw.
template <typename F>
bool call_guarded(const HttpServer::State& state, const char* what, const std::string& peer, F&& f) {
    try {
        f();
        return true;
    } catch (const std::exception& e) {
        state.log(cim::LogLevel::error, std::string(what) + " failed for a connection from " + peer + ": " + e.what());
    } catch (...) {
        state.log(cim::LogLevel::error, std::string(what) + " failed for a connection from " + peer + " (non-standard exception)");
    }
    return false;
}

// A completion handler for co_spawn: an exception that left a coroutine is logged, never dropped (asio::detached
// drops it silently, which is how a failing session used to vanish without its cleanup).
auto log_failure(std::shared_ptr<HttpServer::State> state, const char* what) {
    return [state = std::move(state), what](std::exception_ptr failure) {
        if (!failure) return;
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            state->log(cim::LogLevel::error, std::string(what) + " ended with an exception: " + e.what());
        } catch (...) {
            state->log(cim::LogLevel::error, std::string(what) + " ended with a non-standard exception");
        }
    };
}

class WebSocketSession final : public WebSocketConnection, public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(std::shared_ptr<HttpServer::State> state, tcp::socket socket, const WebSocketRoute& route,
                     ConnectionSlot& slot)
        : state_(std::move(state)),
          route_(route),
          ws_(std::move(socket)),
          id_(slot.id()),
          peer_(slot.peer()),
          rate_(state_->options.max_messages_per_second, std::chrono::seconds(1),
                state_->options.max_messages_per_second * 2),
          token_interval_(std::max<std::int64_t>(1, static_cast<std::int64_t>(1000 / std::max(0.001, state_->options.max_messages_per_second)))) {}

    void send(std::string text) override {
        asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
            self->enqueue(std::move(text));
        });
    }

    void close() override {
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->close_now(); });
    }

    std::uint64_t id() const override { return id_; }
    std::string peer_address() const override { return peer_; }
    bool is_open() const override { return !closed_ && !close_after_writing_; }

    awaitable<void> run(http::request<http::string_body> request, ConnectionSlot& slot) {
        auto self = shared_from_this();
        slot.on_stop([weak = std::weak_ptr<WebSocketSession>(self)] {
            if (auto s = weak.lock()) s->drop();
        });
        ws_.read_message_max(state_->options.max_message);
        // Beast pings a silent client at half the idle time and closes the connection when nothing (not even the
        // pong) came back by the end of it: a socket nobody is behind does not stay open.
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = state_->options.idle_timeout;
        timeouts.idle_timeout = state_->options.idle_timeout;
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        beast::error_code error;
        co_await ws_.async_accept(request, asio::redirect_error(use_awaitable, error));
        if (error) {
            drop();
            co_return;
        }
        bool opened = !route_.on_open || call_guarded(*state_, "on_open", peer_, [&] { route_.on_open(self); });
        if (!opened) fail_now();
        beast::flat_buffer buffer;
        try {
            while (!closed_ && !close_after_writing_) {
                co_await ws_.async_read(buffer, asio::redirect_error(use_awaitable, error));
                if (error) break;
                // Past its rate a client is slowed, not cut off: the next frame is read only when a token is back,
                // so a flood waits in its own TCP buffers while a burst a page legitimately sends (read reports
                // after a replay) still arrives whole, a little later.
                while (!rate_.take(common::TokenBucket::Clock::now()) && !closed_) {
                    asio::steady_timer pause(ws_.get_executor(), token_interval_);
                    co_await pause.async_wait(asio::redirect_error(use_awaitable, error));
                }
                if (closed_) break;
                const auto data = buffer.data();
                const std::string_view text(static_cast<const char*>(data.data()), data.size());
                if (!call_guarded(*state_, "a WebSocket message handler", peer_, [&] { route_.on_message(self, text); })) {
                    fail_now();
                }
                buffer.consume(buffer.size());
            }
        } catch (const std::exception& e) {
            state_->log(cim::LogLevel::error, "a WebSocket from " + peer_ + " failed: " + e.what());
        }
        closed_ = true;
        // The cleanup runs whatever ended the loop, so the plugin forgets the connection and its socket is released.
        if (route_.on_close) call_guarded(*state_, "on_close", peer_, [&] { route_.on_close(self); });
        // Released now, not when the last ConnectionPtr goes: a pending write (an error frame) or close handshake
        // finishes first and drops the socket then.
        if (writing_) {
            close_after_writing_ = true;
        } else if (!close_sent_) {
            drop();
        }
    }

private:
    // A handler threw: the client learns that something failed (never what: the log has it), and the connection
    // closes, since its state in the plugin may be half-made.
    void fail_now() {
        enqueue(R"({"type":"error","error":"internal error; the connection is closed"})");
        close_now(websocket::close_code::internal_error);
    }

    void enqueue(std::string text) {
        if (closed_ || close_after_writing_) return;
        if (queued_bytes_ + text.size() > state_->options.max_queued_bytes) {
            state_->log(cim::LogLevel::warn, "dropping a WebSocket from " + peer_ + ": more than " +
                                                 std::to_string(state_->options.max_queued_bytes) +
                                                 " bytes queued (a client that does not read)");
            drop();  // a client this far behind is gone or stuck; its page reconnects and replays
            return;
        }
        queued_bytes_ += text.size();
        std::size_t peak = state_->peak_queued.load(std::memory_order_relaxed);
        while (queued_bytes_ > peak && !state_->peak_queued.compare_exchange_weak(peak, queued_bytes_)) {
        }
        outbox_.push_back(std::move(text));
        if (writing_) return;
        writing_ = true;  // now, not when the coroutine starts: a second enqueue before then must not start another
        asio::co_spawn(ws_.get_executor(), write_all(shared_from_this()), log_failure(state_, "a WebSocket write"));
    }

    static awaitable<void> write_all(std::shared_ptr<WebSocketSession> self) {
        beast::error_code error;
        while (!self->outbox_.empty() && !self->dropped_) {
            self->ws_.text(true);
            co_await self->ws_.async_write(asio::buffer(self->outbox_.front()), asio::redirect_error(use_awaitable, error));
            if (error) break;
            self->queued_bytes_ -= self->outbox_.front().size();
            self->outbox_.pop_front();
        }
        self->writing_ = false;
        if (error) {
            self->drop();
            co_return;
        }
        if (self->close_after_writing_) self->close_now(self->close_code_);
    }

    // A close requested after send() goes out after what was sent (an error frame, then the close).
    void close_now(websocket::close_code code = websocket::close_code::normal) {
        if (writing_) {
            close_after_writing_ = true;
            close_code_ = code;
            return;
        }
        if (closed_ && close_sent_) return;
        closed_ = true;
        close_sent_ = true;
        ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->drop(); });
    }

    // Closing the socket ends the pending read and write at once (used at stop, for slow clients, and once a session
    // is over, so a ConnectionPtr a plugin still holds keeps no descriptor open).
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
    std::string peer_;
    common::TokenBucket rate_;
    std::chrono::milliseconds token_interval_;  // how long one token takes to come back
    std::deque<std::string> outbox_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closed_ = false;               // no more frames are taken
    bool close_sent_ = false;
    bool dropped_ = false;              // the socket is gone: stop writing at once
    bool close_after_writing_ = false;
    websocket::close_code close_code_ = websocket::close_code::normal;
};

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
    slot.on_stop([&stream] {
        beast::error_code ignored;
        stream.socket().close(ignored);
    });
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
        auto response = to_response(answer(*state, plain), request.version(), keep_alive);
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
