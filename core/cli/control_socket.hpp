// `cimrt run`'s control socket (docs/reload.md): a Unix stream socket, mode 0600, under var/ next to the store. A
// client writes one JSON request line, {"command": "...", ...}, and reads one JSON reply line, {"ok": true|false,
// ...}; then the server closes. `cimrt reload` is the first client; `tap` and `top` will add their commands.
//
//     ControlServer server(runtime->control_socket());
//     server.on("reload", [&](const nlohmann::json& request) { return nlohmann::json{{"ok", true}}; });
//     server.start();
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace cim::cli {

/// The longest request line the server reads; a longer one is answered with an error and the connection closed.
inline constexpr std::size_t max_control_request = 64 * 1024;
/// How long the server waits for a client's request line before it closes the connection.
inline constexpr std::chrono::seconds control_request_timeout{5};

/// The control socket cannot be served: another runtime answers on it, or the path cannot be bound.
struct ControlSocketError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ControlServer {
public:
    /// Answers one request; runs on the server's thread, one request at a time. What it throws becomes an error reply.
    using Command = std::function<nlohmann::json(const nlohmann::json& request)>;

    /// Binds `path` (creating its folder), mode 0600. A socket file nobody answers on (left by a runtime that was
    /// killed) is replaced; one that answers means another runtime serves it: ControlSocketError. So is a path that
    /// exists and is not a socket, which is never deleted.
    explicit ControlServer(std::filesystem::path path);
    /// Stops serving and removes the socket file.
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    /// Registers `command`; only before start().
    void on(const std::string& command, Command handler);
    /// Starts accepting, on a thread of its own.
    void start();
    const std::filesystem::path& path() const noexcept { return path_; }

    struct Impl;

private:
    std::filesystem::path path_;
    std::unique_ptr<Impl> impl_;
};

/// Sends `request` to the control socket at `path` and returns the reply. Throws ControlSocketError when nothing
/// listens there, or when no reply arrives within `timeout` (the message says which).
nlohmann::json control_request(const std::filesystem::path& path, const nlohmann::json& request,
                               std::chrono::milliseconds timeout);

}  // namespace cim::cli
