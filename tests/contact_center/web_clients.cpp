#include "web_clients.hpp"

#include <utility>  // before Asio (Boost 1.74 + g++ 12)

#include <cerrno>
#include <deque>
#include <filesystem>
#include <sstream>

#include <sys/socket.h>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace cim::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                       const std::string& bearer) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    HttpReply reply;
    reply.status = response.result_int();
    reply.body = response.body();
    for (const auto& field : response) reply.headers[std::string(field.name_string())] = std::string(field.value());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return reply;
}

std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

struct WsClient::Impl {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buffer;
    std::deque<std::string> outbox;
    std::thread thread;

    void read(WsClient& owner) {
        ws.async_read(buffer, [this, &owner](beast::error_code error, std::size_t) {
            std::lock_guard lock(owner.mutex_);
            if (error) {
                owner.closed_ = true;
                owner.changed_.notify_all();
                return;
            }
            owner.frames_.push_back(nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false));
            buffer.consume(buffer.size());
            owner.changed_.notify_all();
            read(owner);
        });
    }

    void write() {
        ws.async_write(asio::buffer(outbox.front()), [this](beast::error_code error, std::size_t) {
            outbox.pop_front();
            if (!error && !outbox.empty()) write();
        });
    }
};

WsClient::WsClient(std::uint16_t port, const std::string& path, const std::string& origin) : impl_(std::make_unique<Impl>()) {
    beast::get_lowest_layer(impl_->ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if (!origin.empty()) {
        impl_->ws.set_option(websocket::stream_base::decorator(
            [origin](websocket::request_type& request) { request.set(http::field::origin, origin); }));
    }
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), path);
    impl_->ws.text(true);
    impl_->read(*this);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

WsClient::~WsClient() {
    asio::post(impl_->io, [this] {
        beast::error_code ignored;
        beast::get_lowest_layer(impl_->ws).socket().close(ignored);
    });
    impl_->thread.join();
}

void WsClient::send(const nlohmann::json& frame) {
    asio::post(impl_->io, [this, text = frame.dump()] {
        impl_->outbox.push_back(text);
        if (impl_->outbox.size() == 1) impl_->write();
    });
}

nlohmann::json WsClient::expect(const std::string& what, const std::function<bool(const nlohmann::json&)>& matches,
                                std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (std::size_t i = cursor_; i < frames_.size(); ++i) {
            if (matches(frames_[i])) {
                cursor_ = i + 1;
                return frames_[i];
            }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) break;
    }
    std::ostringstream message;
    message << "expected " << what << " within " << timeout.count() << " ms; received:";
    for (std::size_t i = cursor_; i < frames_.size(); ++i) message << "\n  " << frames_[i].dump();
    throw std::runtime_error(message.str());
}

bool WsClient::receives_within(const std::function<bool(const nlohmann::json&)>& matches,
                               std::chrono::milliseconds window) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + window;
    for (;;) {
        for (std::size_t i = cursor_; i < frames_.size(); ++i) {
            if (matches(frames_[i])) return true;
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return false;
    }
}

bool WsClient::wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return closed_; });
}

std::vector<nlohmann::json> WsClient::frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
}

struct SilentClients::Impl {
    asio::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> raw;
    std::vector<std::unique_ptr<websocket::stream<tcp::socket>>> ws;
};

SilentClients::SilentClients() : impl_(std::make_unique<Impl>()) {}
SilentClients::~SilentClients() = default;

void SilentClients::open_tcp(std::uint16_t port) {
    auto socket = std::make_unique<tcp::socket>(impl_->io);
    socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    impl_->raw.push_back(std::move(socket));
}

void SilentClients::open_ws(std::uint16_t port, const std::string& path, const std::vector<nlohmann::json>& frames) {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(impl_->io);
    ws->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws->handshake("127.0.0.1:" + std::to_string(port), path);
    ws->text(true);
    for (const auto& frame : frames) ws->write(asio::buffer(frame.dump()));
    impl_->ws.push_back(std::move(ws));
}

std::size_t SilentClients::size() const { return impl_->raw.size() + impl_->ws.size(); }

namespace {

// Drains what is buffered on `fd` without blocking: true when the peer has closed (EOF or reset).
bool peer_closed(int fd) {
    char buffer[65536];
    for (;;) {
        const auto n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) continue;
        if (n == 0) return true;
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

}  // namespace

std::size_t SilentClients::closed_by_server() {
    std::size_t closed = 0;
    for (auto& socket : impl_->raw) closed += peer_closed(socket->native_handle()) ? 1 : 0;
    for (auto& ws : impl_->ws) closed += peer_closed(ws->next_layer().native_handle()) ? 1 : 0;
    return closed;
}

bool eventually(const std::function<bool()>& holds, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (holds()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return holds();
}

std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

std::function<bool(const nlohmann::json&)> frame_of(const std::string& type, const std::string& conversation_id) {
    return [type, conversation_id](const nlohmann::json& f) {
        return f.is_object() && f.value("type", "") == type &&
               (conversation_id.empty() || f.value("conversationId", "") == conversation_id);
    };
}

}  // namespace cim::test
