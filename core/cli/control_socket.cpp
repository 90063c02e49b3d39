#include "control_socket.hpp"

#include <sys/stat.h>
#include <sys/un.h>

#include <thread>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace cim::cli {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

nlohmann::json error_reply(const std::string& why) { return {{"ok", false}, {"error", why}}; }

// One client: reads one line (bounded, with a deadline), answers it, closes. Kept alive by its own handlers.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(local::socket socket, const std::map<std::string, ControlServer::Command>& commands)
        : socket_(std::move(socket)), deadline_(socket_.get_executor()), commands_(commands) {}

    void start() {
        deadline_.expires_after(control_request_timeout);
        deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->close();  // a client that never finishes its line is not waited for
        });
        asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, max_control_request), '\n',
                               [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                   self->on_line(ec, n);
                               });
    }

private:
    void on_line(const boost::system::error_code& ec, std::size_t length) {
        if (ec == asio::error::not_found) return reply(error_reply("request longer than " +
                                                                   std::to_string(max_control_request) + " bytes"));
        if (ec) return close();
        reply(answer(buffer_.substr(0, length)));
    }

    nlohmann::json answer(const std::string& line) const {
        const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
        if (request.is_discarded() || !request.is_object()) return error_reply("bad request: not a JSON object");
        if (!request.contains("command") || !request["command"].is_string()) {
            return error_reply("bad request: no \"command\" string");
        }
        const std::string command = request["command"];
        const auto it = commands_.find(command);
        if (it == commands_.end()) {
            std::string known;
            for (const auto& [name, handler] : commands_) known += (known.empty() ? "" : ", ") + name;
            return error_reply("unknown command '" + command + "'; known: " + known);
        }
        try {
            return it->second(request);
        } catch (const std::exception& e) {
            return error_reply(command + " failed: " + e.what());
        }
    }

    void reply(const nlohmann::json& answer) {
        reply_ = answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        asio::async_write(socket_, asio::buffer(reply_),
                          [self = shared_from_this()](const boost::system::error_code&, std::size_t) { self->close(); });
    }

    void close() {
        boost::system::error_code ignored;
        deadline_.cancel();
        socket_.close(ignored);
    }

    local::socket socket_;
    asio::steady_timer deadline_;
    const std::map<std::string, ControlServer::Command>& commands_;
    std::string buffer_;
    std::string reply_;
};

bool is_socket_file(const std::filesystem::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

struct ControlServer::Impl {
    asio::io_context io;
    local::acceptor acceptor{io};
    std::map<std::string, Command> commands;
    std::thread thread;

    void accept() {
        acceptor.async_accept([this](const boost::system::error_code& ec, local::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) std::make_shared<Connection>(std::move(socket), commands)->start();
            accept();
        });
    }
};

ControlServer::ControlServer(std::filesystem::path path) : path_(std::move(path)), impl_(std::make_unique<Impl>()) {
    // sun_path holds 108 bytes with its terminator; a longer path would be cut silently by some APIs.
    if (path_.native().size() >= sizeof(sockaddr_un::sun_path)) {
        throw ControlSocketError("control socket " + path_.string() + ": longer than " +
                                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                 " bytes, the limit of a Unix socket path; set [runtime] control_socket");
    }
    std::error_code fs_ec;
    std::filesystem::create_directories(path_.parent_path(), fs_ec);
    if (std::filesystem::exists(path_, fs_ec)) {
        if (!is_socket_file(path_)) {
            throw ControlSocketError("control socket " + path_.string() + ": the path exists and is not a socket");
        }
        asio::io_context probe_io;
        local::socket probe(probe_io);
        boost::system::error_code ec;
        probe.connect(local::endpoint(path_.string()), ec);
        if (!ec) {
            throw ControlSocketError("control socket " + path_.string() +
                                     ": another cimrt runs and answers on it (cimrt reload talks to that one)");
        }
        std::filesystem::remove(path_, fs_ec);  // left by a runtime that was killed: nobody answers
    }
    boost::system::error_code ec;
    impl_->acceptor.open(local(), ec);
    if (!ec) impl_->acceptor.bind(local::endpoint(path_.string()), ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw ControlSocketError("control socket " + path_.string() + ": " + ec.message());
    // Only this user may reload or (later) tap the runtime.
    if (::chmod(path_.c_str(), S_IRUSR | S_IWUSR) != 0) {
        throw ControlSocketError("control socket " + path_.string() + ": cannot make it private (chmod 0600)");
    }
}

ControlServer::~ControlServer() {
    asio::post(impl_->io, [impl = impl_.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        impl->io.stop();
    });
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
    std::error_code ignored;
    // Only our own socket: a runtime started after this one replaced it is not cut off.
    if (is_socket_file(path_)) std::filesystem::remove(path_, ignored);
}

void ControlServer::on(const std::string& command, Command handler) { impl_->commands[command] = std::move(handler); }

void ControlServer::start() {
    impl_->accept();
    impl_->thread = std::thread([impl = impl_.get()] {
        for (;;) {
            try {
                impl->io.run();
                return;
            } catch (...) {
                // A handler's stray exception must not end the control socket; go on serving.
            }
        }
    });
}

nlohmann::json control_request(const std::filesystem::path& path, const nlohmann::json& request,
                               std::chrono::milliseconds timeout) {
    asio::io_context io;
    local::socket socket(io);
    boost::system::error_code ec;
    socket.connect(local::endpoint(path.string()), ec);
    if (ec) {
        throw ControlSocketError("no cimrt answers on " + path.string() + " (" + ec.message() +
                                 "); is `cimrt run` running on this configuration?");
    }
    std::string line = request.dump() + "\n";
    std::string reply;
    bool timed_out = false;
    asio::steady_timer deadline(io, timeout);
    deadline.async_wait([&](const boost::system::error_code& e) {
        if (e) return;
        timed_out = true;
        boost::system::error_code ignored;
        socket.close(ignored);
    });
    asio::async_write(socket, asio::buffer(line), [&](const boost::system::error_code& e, std::size_t) {
        if (e) return;
        asio::async_read_until(socket, asio::dynamic_buffer(reply), '\n',
                               [&](const boost::system::error_code&, std::size_t) { deadline.cancel(); });
    });
    io.run();
    if (timed_out) {
        throw ControlSocketError("no reply from " + path.string() + " within " + std::to_string(timeout.count()) + " ms");
    }
    const nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, false);
    if (parsed.is_discarded()) throw ControlSocketError("the runtime's reply is not JSON: " + reply);
    return parsed;
}

}  // namespace cim::cli
