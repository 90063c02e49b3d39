// One WebSocket: reading frames into the route's callbacks (under the server's catch, at the configured rate), the
// outbound queue bounded in bytes, and a close that always runs the route's on_close and releases the socket.
// Private to http_server.cpp, which upgrades a connection into one.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it with g++ 12

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "plugin_common/rate_limit.hpp"
#include "server_state.hpp"

namespace cim::web::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

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

}  // namespace cim::web::detail
